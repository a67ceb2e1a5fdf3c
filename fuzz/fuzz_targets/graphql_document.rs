//! Any document an anonymous caller can send: parse, depth, aliases, cost and juniper's
//! validation must answer (prepared or refused) without panicking, in bounded time (libFuzzer's
//! -timeout catches a blow-up such as exponential fragment expansion), and a prepared document
//! is within the limits.
#![no_main]

use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use mediagate::graphql::limits::Limits;
use mediagate::graphql::prepared::PreparedDocuments;
use mediagate::graphql::schema;

const LIMITS: Limits = Limits {
    max_depth: 10,
    max_aliases: 30,
    max_cost: 5_000,
};

static DOCUMENTS: LazyLock<PreparedDocuments> =
    LazyLock::new(|| PreparedDocuments::new(Arc::new(schema(true)), LIMITS));

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(prepared) = DOCUMENTS.prepare(query, None) {
        let variables = juniper::Variables::new();
        let _ = prepared.check_cost(&variables);
    }
    // Asked again, the cached answer must be the same kind of answer.
    let first = DOCUMENTS.prepare(query, None).is_ok();
    assert_eq!(DOCUMENTS.prepare(query, None).is_ok(), first);
});

//! Documents analysed once and answered many times: parsed by juniper, checked against the
//! depth, alias and cost limits, validated, and kept (with their refusal, when refused).
//!
//! The limits run on juniper's own parse of the document, so a document juniper can read cannot
//! slip past them, and before juniper's validation, so validation never sees a document the
//! limits refuse. A refusal is kept like a success: asking again costs a lookup.
//!
//! Clients send the same few documents over and over; for `image(id) { id url }` juniper's parse
//! and validation cost more than executing it. juniper 0.18's `ValidatedOperation` separates the
//! two, but borrows the document's text and the schema, so each cached one lives in a
//! self-referential cell beside what it borrows. The cache is bounded in entries, documents in
//! size. What depends on the variables (the cost of pages sized by a variable) is worked out per
//! request from the kept plan.

use std::hash::BuildHasher as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use juniper::{
    DefaultScalarValue, Definition, EmptySubscription, ExecutionError, GraphQLError, Operation,
    OperationType, ValidatedOperation, Value, Variables,
};

use super::cost::Plan;
use super::limits::{self, Limits};
use super::response::{RequestError, preparation_code};
use super::{Context, Mutation, Query, Schema};
use crate::error::{Code, Error};

/// Documents longer than this are analysed every time rather than kept.
const MAX_CACHED_DOCUMENT: usize = 8 * 1024;

struct Source {
    schema: Arc<Schema>,
    query: Box<str>,
    operation_name: Option<Box<str>>,
    plan: Plan,
    max_cost: u64,
}

type Validated<'a> = ValidatedOperation<'a, Query, Mutation, EmptySubscription<Context>>;

self_cell::self_cell!(
    /// A document ready to execute: its text, the schema, its cost plan, and juniper's validated
    /// operation.
    pub struct Prepared {
        owner: Source,
        #[covariant]
        dependent: Validated,
    }
);

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("query", &self.borrow_owner().query)
            .finish_non_exhaustive()
    }
}

/// A refused document, kept so that asking again costs a lookup.
#[derive(Debug)]
struct Refused {
    query: Box<str>,
    operation_name: Option<Box<str>>,
    error: RequestError,
}

#[derive(Debug, Clone)]
enum Entry {
    Ready(Arc<Prepared>),
    Refused(Arc<Refused>),
}

impl Entry {
    fn is_for(&self, query: &str, operation_name: Option<&str>) -> bool {
        let (q, name) = match self {
            Entry::Ready(p) => (&p.borrow_owner().query, &p.borrow_owner().operation_name),
            Entry::Refused(r) => (&r.query, &r.operation_name),
        };
        &**q == query && name.as_deref() == operation_name
    }
}

/// The prepared-document cache of one schema.
pub struct PreparedDocuments {
    schema: Arc<Schema>,
    limits: Limits,
    seeds: foldhash::fast::FixedState,
    cache: quick_cache::sync::Cache<u64, Entry>,
    analyses: AtomicU64,
}

impl std::fmt::Debug for PreparedDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedDocuments")
            .field("limits", &self.limits)
            .field("entries", &self.cache.len())
            .finish_non_exhaustive()
    }
}

/// What executing a document gives.
pub type Outcome = Result<(Value, Vec<ExecutionError<DefaultScalarValue>>), GraphQLError>;

impl Prepared {
    /// Whether the operation is a mutation (refused over GET).
    pub fn is_mutation(&self) -> bool {
        self.borrow_dependent().operation_type() == OperationType::Mutation
    }

    /// What the operation costs with these variables (see `cost.rs`).
    pub fn cost(&self, variables: &Variables) -> u64 {
        self.borrow_owner().plan.cost(variables)
    }

    /// Refuses the request when, with its variables, the operation costs more than the budget.
    pub fn check_cost(&self, variables: &Variables) -> Result<(), RequestError> {
        let source = self.borrow_owner();
        let cost = source.plan.cost(variables);
        if cost > source.max_cost {
            return Err(RequestError::new(&over_budget(cost, source.max_cost)));
        }
        Ok(())
    }

    /// Executes it with this request's variables.
    pub async fn execute(&self, variables: &Variables, context: &Context) -> Outcome {
        self.borrow_dependent().execute(variables, context).await
    }
}

impl PreparedDocuments {
    /// The schema and limits the settings ask for.
    pub fn for_config(config: &crate::config::Config) -> PreparedDocuments {
        PreparedDocuments::new(
            Arc::new(super::schema(config.introspection())),
            Limits {
                max_depth: config.graphql.max_depth,
                max_aliases: config.graphql.max_aliases,
                max_cost: config.graphql.max_cost,
            },
        )
    }

    /// A cache of up to 1,000 documents for `schema`, each within `limits`.
    pub fn new(schema: Arc<Schema>, limits: Limits) -> PreparedDocuments {
        PreparedDocuments {
            schema,
            limits,
            seeds: foldhash::fast::FixedState::with_seed(0x7072_6570_6172_6564),
            cache: quick_cache::sync::Cache::new(1_000),
            analyses: AtomicU64::new(0),
        }
    }

    /// How many documents were analysed rather than found in the cache.
    pub fn analyses(&self) -> u64 {
        self.analyses.load(Ordering::Relaxed)
    }

    /// The document parsed, checked against the limits and validated, or why it was refused:
    /// from the cache when it was seen before.
    pub fn prepare(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Result<Arc<Prepared>, RequestError> {
        let hash = self.seeds.hash_one((query, operation_name));
        if let Some(entry) = self.cache.get(&hash)
            && entry.is_for(query, operation_name)
        {
            return match entry {
                Entry::Ready(p) => Ok(p),
                Entry::Refused(r) => Err(r.error.clone()),
            };
        }
        self.analyses.fetch_add(1, Ordering::Relaxed);
        let entry = match self.analyse(query, operation_name) {
            Ok(prepared) => Entry::Ready(Arc::new(prepared)),
            Err(error) => Entry::Refused(Arc::new(Refused {
                query: query.into(),
                operation_name: operation_name.map(Into::into),
                error,
            })),
        };
        if query.len() <= MAX_CACHED_DOCUMENT {
            self.cache.insert(hash, entry.clone());
        }
        match entry {
            Entry::Ready(p) => Ok(p),
            Entry::Refused(r) => Err(r.error.clone()),
        }
    }

    fn analyse(&self, query: &str, operation_name: Option<&str>) -> Result<Prepared, RequestError> {
        let juniper_error = |e: GraphQLError| RequestError::from_juniper(&e, preparation_code(&e));
        // juniper's parser bounds tokens, nesting and expanded fields itself, in linear time.
        let document = juniper::parser::parse_document_source(query, &self.schema.schema)
            .map_err(|e| juniper_error(GraphQLError::ParseError(e)))?;
        limits::check(&document, self.limits).map_err(|e| RequestError::new(&e))?;
        let operation = select(&document, operation_name).map_err(juniper_error)?;
        if operation.operation_type == OperationType::Subscription {
            return Err(RequestError::new(&Error::new(
                Code::GraphqlValidationFailed,
                "subscriptions are not supported; send a query or a mutation",
            )));
        }
        let plan = Plan::new(&document, operation, &self.schema.schema);
        if plan.least() > self.limits.max_cost {
            return Err(RequestError::new(&over_budget(
                plan.least(),
                self.limits.max_cost,
            )));
        }
        Prepared::try_new(
            Source {
                schema: Arc::clone(&self.schema),
                query: query.into(),
                operation_name: operation_name.map(Into::into),
                plan,
                max_cost: self.limits.max_cost,
            },
            |s| ValidatedOperation::new(&s.query, s.operation_name.as_deref(), &s.schema),
        )
        .map_err(juniper_error)
    }
}

/// The operation juniper will run, found the way juniper finds it.
fn select<'d, 'a>(
    document: &'d [Definition<'a, DefaultScalarValue>],
    name: Option<&str>,
) -> Result<&'d Operation<'a, DefaultScalarValue>, GraphQLError> {
    let mut operations = document.iter().filter_map(|d| match d {
        Definition::Operation(op) => Some(&op.item),
        Definition::Fragment(_) => None,
    });
    match name {
        Some(name) => operations
            .find(|op| op.name.as_ref().map(|n| n.item) == Some(name))
            .ok_or(GraphQLError::UnknownOperationName),
        None => match (operations.next(), operations.next()) {
            (Some(op), None) => Ok(op),
            (Some(_), Some(_)) => Err(GraphQLError::MultipleOperationsProvided),
            (None, _) => Err(GraphQLError::UnknownOperationName),
        },
    }
}

fn over_budget(cost: u64, budget: u64) -> Error {
    Error::bad_input(format!(
        "query cost {} exceeds the budget of {} (each field counts 1, and what is selected \
         below a page counts `first` times); ask for smaller pages or fewer nested ones",
        thousands(cost),
        thousands(budget)
    ))
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents() -> PreparedDocuments {
        PreparedDocuments::new(
            Arc::new(super::super::schema(true)),
            Limits {
                max_depth: 4,
                max_aliases: 1,
                max_cost: 100,
            },
        )
    }

    #[test]
    fn documents_are_kept_with_their_verdict() {
        let docs = documents();
        let query = "query Q { viewer { id } } mutation M { removeFriend(userId: \"x\") { id } }";
        for round in 0..2 {
            let q = docs.prepare(query, Some("Q")).expect("valid");
            assert!(!q.is_mutation());
            let m = docs.prepare(query, Some("M")).expect("valid");
            assert!(m.is_mutation());
            assert!(
                !Arc::ptr_eq(&q, &m),
                "the operation name is part of the key"
            );
            assert!(Arc::ptr_eq(
                &q,
                &docs.prepare(query, Some("Q")).expect("valid")
            ));
            for (bad, code) in [
                (
                    "{ viewer { images { nodes { owner { id } } } } }",
                    "BAD_USER_INPUT",
                ),
                ("{ a: viewer { id } b: viewer { id } }", "BAD_USER_INPUT"),
                (
                    "{ user(id: \"u\") { images(first: 99) { nodes { id } } } }",
                    "BAD_USER_INPUT",
                ),
                ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
                ("{", "GRAPHQL_PARSE_FAILED"),
                (
                    "subscription { viewer { id } }",
                    "GRAPHQL_VALIDATION_FAILED",
                ),
                (
                    "query A { viewer { id } } query B { viewer { id } }",
                    "OPERATION_RESOLUTION_FAILURE",
                ),
            ] {
                let error = docs.prepare(bad, None).expect_err(bad);
                assert_eq!(error.code().as_str(), code, "{bad}");
                let body: serde_json::Value =
                    serde_json::from_slice(error.body()).expect("JSON body");
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], code,
                    "{bad}: {body}"
                );
            }
            assert_eq!(
                docs.analyses(),
                9,
                "round {round}: each document analysed once"
            );
        }
        assert_eq!(docs.cache.len(), 9);
    }

    #[test]
    fn the_cost_of_variable_pages_is_checked_per_request() {
        let docs = documents();
        let q = "query($n: Int) { user(id: \"u\") { images(first: $n) { nodes { id } } } }";
        let prepared = docs.prepare(q, None).expect("valid");
        let vars = |n: i32| -> Variables {
            [("n".to_owned(), juniper::InputValue::scalar(n))]
                .into_iter()
                .collect()
        };
        assert!(prepared.check_cost(&vars(49)).is_ok());
        let error = prepared.check_cost(&vars(60)).expect_err("over budget");
        let body: serde_json::Value = serde_json::from_slice(error.body()).expect("JSON");
        let message = body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(
            message.starts_with("query cost 122 exceeds the budget of 100 "),
            "{message}"
        );
    }

    #[test]
    fn thousands_are_separated() {
        for (n, s) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (403_686, "403,686"),
        ] {
            assert_eq!(thousands(n), s);
        }
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }
}

//! Documents parsed and validated once, executed many times with new variables.
//!
//! Clients send the same few documents over and over; for `image(id) { id url }` juniper's parse
//! and validation cost more than executing it. juniper 0.18's `ValidatedOperation` separates the
//! two, but borrows the document's text and the schema, so each cached one lives in a
//! self-referential cell beside what it borrows. Only documents that validate are kept (an error
//! is answered fresh every time); the cache is bounded in entries, documents in size.

use std::hash::BuildHasher as _;
use std::sync::Arc;

use juniper::{EmptySubscription, ValidatedOperation};
use juniper::{ExecutionError, GraphQLError, Value, Variables};

use super::{Context, Mutation, Query, Schema};

/// Documents longer than this are validated every time rather than kept.
const MAX_CACHED_DOCUMENT: usize = 8 * 1024;

struct Source {
    schema: Arc<Schema>,
    query: Box<str>,
    operation_name: Option<Box<str>>,
}

type Operation<'a> = ValidatedOperation<'a, Query, Mutation, EmptySubscription<Context>>;

self_cell::self_cell!(
    struct Prepared {
        owner: Source,
        #[covariant]
        dependent: Operation,
    }
);

/// The prepared-document cache of one schema.
pub struct PreparedDocuments {
    schema: Arc<Schema>,
    seeds: foldhash::fast::FixedState,
    cache: moka::sync::Cache<u64, Arc<Prepared>>,
}

impl std::fmt::Debug for PreparedDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedDocuments")
            .field("entries", &self.cache.entry_count())
            .finish_non_exhaustive()
    }
}

/// What executing a document gives.
pub type Outcome = Result<(Value, Vec<ExecutionError<juniper::DefaultScalarValue>>), GraphQLError>;

impl PreparedDocuments {
    /// A cache of up to 1,000 documents for `schema`.
    pub fn new(schema: Arc<Schema>) -> PreparedDocuments {
        PreparedDocuments {
            schema,
            seeds: foldhash::fast::FixedState::with_seed(0x7072_6570_6172_6564),
            cache: moka::sync::Cache::new(1_000),
        }
    }

    fn prepare(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Result<Arc<Prepared>, GraphQLError> {
        let hash = self.seeds.hash_one((query, operation_name));
        if let Some(p) = self.cache.get(&hash) {
            let source = p.borrow_owner();
            if &*source.query == query && source.operation_name.as_deref() == operation_name {
                return Ok(p);
            }
        }
        let prepared = Arc::new(Prepared::try_new(
            Source {
                schema: Arc::clone(&self.schema),
                query: query.into(),
                operation_name: operation_name.map(Into::into),
            },
            |s| ValidatedOperation::new(&s.query, s.operation_name.as_deref(), &s.schema),
        )?);
        if query.len() <= MAX_CACHED_DOCUMENT {
            self.cache.insert(hash, Arc::clone(&prepared));
        }
        Ok(prepared)
    }

    /// Parses and validates `query` (or finds it done) and executes it.
    pub async fn execute(
        &self,
        query: &str,
        operation_name: Option<&str>,
        variables: &Variables,
        context: &Context,
    ) -> Outcome {
        let prepared = self.prepare(query, operation_name)?;
        prepared
            .borrow_dependent()
            .execute(variables, context)
            .await
    }
}

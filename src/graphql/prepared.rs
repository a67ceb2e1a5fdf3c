//! Documents checked against the depth and alias limits, parsed and validated once, executed
//! many times with new variables.
//!
//! Clients send the same few documents over and over; for `image(id) { id url }` juniper's parse
//! and validation cost more than executing it. juniper 0.18's `ValidatedOperation` separates the
//! two, but borrows the document's text and the schema, so each cached one lives in a
//! self-referential cell beside what it borrows. Only documents that validate are kept (an error
//! is answered fresh every time); the cache is bounded in entries, documents in size.

use std::hash::BuildHasher as _;
use std::sync::Arc;

use juniper::{
    EmptySubscription, ExecutionError, GraphQLError, OperationType, ValidatedOperation, Value,
    Variables,
};

use super::limits::{self, Limits};
use super::{Context, Mutation, Query, Schema};
use crate::error::Error;

/// Documents longer than this are validated every time rather than kept.
const MAX_CACHED_DOCUMENT: usize = 8 * 1024;

struct Source {
    schema: Arc<Schema>,
    query: Box<str>,
    operation_name: Option<Box<str>>,
}

type Operation<'a> = ValidatedOperation<'a, Query, Mutation, EmptySubscription<Context>>;

self_cell::self_cell!(
    /// A document ready to execute: its text, the schema, and juniper's validated operation.
    pub struct Prepared {
        owner: Source,
        #[covariant]
        dependent: Operation,
    }
);

/// The prepared-document cache of one schema.
pub struct PreparedDocuments {
    schema: Arc<Schema>,
    limits: Limits,
    seeds: foldhash::fast::FixedState,
    cache: quick_cache::sync::Cache<u64, Arc<Prepared>>,
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
pub type Outcome = Result<(Value, Vec<ExecutionError<juniper::DefaultScalarValue>>), GraphQLError>;

/// Why a document cannot be executed.
#[derive(Debug)]
pub enum Refused {
    /// Over the depth or alias limit (BAD_USER_INPUT).
    Limits(Error),
    /// Not valid GraphQL for this schema (juniper's own errors, reported as GraphQL errors).
    Invalid(GraphQLError),
}

impl Prepared {
    /// Whether the operation is a mutation (refused over GET).
    pub fn is_mutation(&self) -> bool {
        self.borrow_dependent().operation_type() == OperationType::Mutation
    }

    /// Executes it with this request's variables.
    pub async fn execute(&self, variables: &Variables, context: &Context) -> Outcome {
        self.borrow_dependent().execute(variables, context).await
    }
}

impl PreparedDocuments {
    /// A cache of up to 1,000 documents for `schema`, each within `limits`.
    pub fn new(schema: Arc<Schema>, limits: Limits) -> PreparedDocuments {
        PreparedDocuments {
            schema,
            limits,
            seeds: foldhash::fast::FixedState::with_seed(0x7072_6570_6172_6564),
            cache: quick_cache::sync::Cache::new(1_000),
        }
    }

    /// The document checked against the limits, parsed and validated: from the cache when it was
    /// seen before. Refusals are not kept; they are worked out again each time.
    pub fn prepare(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Result<Arc<Prepared>, Refused> {
        let hash = self.seeds.hash_one((query, operation_name));
        if let Some(p) = self.cache.get(&hash) {
            let source = p.borrow_owner();
            if &*source.query == query && source.operation_name.as_deref() == operation_name {
                return Ok(p);
            }
        }
        limits::check(query, operation_name, self.limits).map_err(Refused::Limits)?;
        let prepared = Arc::new(
            Prepared::try_new(
                Source {
                    schema: Arc::clone(&self.schema),
                    query: query.into(),
                    operation_name: operation_name.map(Into::into),
                },
                |s| ValidatedOperation::new(&s.query, s.operation_name.as_deref(), &s.schema),
            )
            .map_err(Refused::Invalid)?,
        );
        if query.len() <= MAX_CACHED_DOCUMENT {
            self.cache.insert(hash, Arc::clone(&prepared));
        }
        Ok(prepared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents() -> PreparedDocuments {
        PreparedDocuments::new(
            Arc::new(super::super::schema(true)),
            Limits {
                max_depth: 3,
                max_aliases: 1,
            },
        )
    }

    #[test]
    fn documents_are_kept_only_when_they_pass() {
        let docs = documents();
        let query = "query Q { viewer { id } } mutation M { removeFriend(userId: \"x\") { id } }";
        for _ in 0..2 {
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
            for (bad, limits) in [
                ("{ viewer { images { nodes { owner { id } } } } }", true),
                ("{ a: viewer { id } b: viewer { id } }", true),
                ("{ nope }", false),
                ("{", false),
            ] {
                match docs.prepare(bad, None) {
                    Err(Refused::Limits(e)) => assert!(limits, "{bad}: {}", e.message()),
                    Err(Refused::Invalid(_)) => assert!(!limits, "{bad}"),
                    Ok(_) => panic!("{bad} was accepted"),
                }
            }
        }
        assert_eq!(
            docs.cache.len(),
            2,
            "only the two valid operations are kept"
        );
    }
}

//! The GraphQL API (juniper): context, query, mutation, types, and the guards that run before a
//! document is executed.

mod context;
pub mod limits;
mod mutation;
mod query;
mod types;

pub use context::Context;
pub use mutation::Mutation;
pub use query::Query;

use juniper::{EmptySubscription, RootNode};

/// The schema type.
pub type Schema = RootNode<Query, Mutation, EmptySubscription<Context>>;

/// Builds the schema; introspection can be switched off (production APIs rarely need it).
pub fn schema(introspection: bool) -> Schema {
    let schema = Schema::new(Query, Mutation, EmptySubscription::new());
    if introspection {
        schema
    } else {
        schema.disable_introspection()
    }
}

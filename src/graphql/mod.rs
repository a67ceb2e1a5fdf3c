//! The GraphQL API (juniper): context, query, mutation, types, the guards that run before a
//! document is executed (depth, aliases, cost), and the shape of its answers over HTTP.

mod audit;
mod context;
mod cost;
mod friends;
pub mod limits;
mod mutation;
pub mod prepared;
mod query;
pub mod redact;
pub mod response;
mod sync_list;
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

#[cfg(test)]
mod tests {
    /// The SDL is checked in (`schema.graphql`) so every schema change shows up in review.
    /// Regenerate with `MEDIAGATE_UPDATE_SDL=1 cargo test --lib graphql::tests`.
    #[test]
    fn sdl_snapshot() {
        let sdl = super::schema(true).as_sdl();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
        if std::env::var_os("MEDIAGATE_UPDATE_SDL").is_some() {
            std::fs::write(&path, &sdl).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            checked_in, sdl,
            "schema.graphql is out of date; see this test's doc comment"
        );
    }
}

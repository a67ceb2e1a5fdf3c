//! The service over HTTP: the real app on port 0 (the same factory as `serve`), a temp SQLite
//! file, a controllable clock.

mod access_table;
mod audit;
mod edge;
mod friends;
mod graphql_http;
mod graphql_limits;
pub mod helpers;
mod identity;
mod kvs_sender;
mod links;
mod modes;
mod packaged;
mod queries;
mod races;
mod revocation;
mod serve;
pub mod served;
mod timing;
mod tokens;
mod uploads;

//! The service over HTTP: the real app on port 0 (the same factory as `serve`), a temp SQLite
//! file, a controllable clock.

mod access_table;
mod edge;
mod graphql_http;
mod graphql_limits;
pub mod helpers;
mod links;
mod queries;
mod serve;
mod tokens;
mod uploads;

//! Integration tests: one binary, one module per concern.

mod api;
mod auth_oidc;
mod cli;
mod oracle;
mod properties;
mod s3_server;
mod store_contract;
mod store_friends;
mod support;

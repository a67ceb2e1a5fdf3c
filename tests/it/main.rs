//! Integration tests: one binary, one module per concern.

mod api;
mod auth_oidc;
mod auth_oidc_api;
mod cli;
mod moto;
mod oidc_provider;
mod oidc_standin;
mod oracle;
mod properties;
mod replicas;
mod s3_server;
mod store_contract;
mod store_friends;
mod store_migrations;
mod support;
mod vectors;

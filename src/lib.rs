//! mediagate: decides who may see, upload or delete which image, then signs the link.
//!
//! Everything testable lives in this library; `main.rs` only parses the command line.

pub mod access;
pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod cloudfront;
pub mod config;
pub mod dev;
pub mod error;
pub mod graphql;
pub mod http;
pub mod keyfile;
pub mod links;
pub mod metrics;
pub mod state;
pub mod store;
pub mod telemetry;

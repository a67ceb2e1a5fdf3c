//! mediagate: decides who may see, upload or delete which image, then signs the link.
//!
//! Everything testable lives in this library; `main.rs` only parses the command line.

pub mod access;
pub mod app;
pub mod auth;
pub mod aws;
pub mod cli;
pub mod clock;
pub mod cloudfront;
pub mod config;
pub mod dev;
pub mod error;
pub mod friendship;
pub mod graphql;
pub mod http;
pub mod invalidate;
pub mod key_ring;
pub mod keyfile;
pub mod lifecycle;
pub mod links;
pub mod metrics;
pub mod private_files;
pub mod revocation;
pub mod s3;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod upload;

//! mediagate: decides who may see, upload or delete which image, then signs the link.
//!
//! Everything testable lives in this library; `main.rs` only parses the command line.

pub mod auth;
pub mod cli;
pub mod cloudfront;
pub mod keyfile;
pub mod store;

//! Hindsight: a self-hosted knowledge base of incident postmortems.
//! The binary in `main.rs` only parses the command line; everything else
//! lives here so tests and benchmarks use the same code.

pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod format;
pub mod heavy_work;
pub mod import;
pub mod insights;
pub mod json_depth;
pub mod markdown;
pub mod metrics;
pub mod page_cache;
pub mod read_model;
pub mod request_log;
pub mod search;
pub mod seeds;
pub mod store;
pub mod web;
pub mod webhooks;

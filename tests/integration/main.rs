//! The integration suite: the real router on a real database, through HTTP.
//! Every behaviour runs on SQLite, and on PostgreSQL when asked for.

mod helpers;

mod access;
mod api;
mod cli;
mod concurrency;
mod counts;
mod feeds;
mod hostile_input;
mod import_export;
mod incidents;
mod insights;
mod markdown_sanitiser;
mod operations;
mod pages;
mod people;
mod search;
mod seeds;
mod sign_in;
mod times;
mod webhooks;
mod writing;

//! The HTML pages: one file per area, each with its own router, over a thin
//! shared layer that pages use and never each other:
//!
//! - `page`: the layout, rendering with status and cache policy, errors;
//! - `extract`: who is asking (`SignedIn`, `WriterSession`, `AdminSession`,
//!   `ReadingWriter`);
//! - `labels`: the choice lists forms and filters offer;
//! - `views`: what several pages show (action items, pages of cards);
//! - `report_form`: the report form as posted, for the editor;
//! - `assets`: the files under `/static`, and their fingerprinted addresses;
//! - `counts`: the counts the pages show, read once per state of the data.
//!
//! Pages are askama templates filled from the same store and domain types
//! as the API, and work without JavaScript. A new page is written by copying
//! the page next to it.

pub mod extract;
pub mod labels;
pub mod page;
pub mod report_form;
pub mod views;

pub mod assets;
pub mod counts;

pub mod account;
pub mod actions;
pub mod admin;
pub mod backups;
pub mod browse;
pub mod drafts;
pub mod editor;
pub mod feed;
pub mod feed_import;
pub mod history;
pub mod home;
pub mod incidents;
pub mod insights;
pub mod people;
pub mod search;
pub mod settings;
pub mod webhooks;

use axum::Router;

use crate::app::AppState;
pub use page::not_found;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(account::router())
        .merge(admin::router())
        .merge(people::router())
        .merge(backups::router())
        .merge(incidents::router())
        .merge(editor::router())
        .merge(history::router())
        .merge(drafts::router())
        .merge(browse::router())
        .merge(actions::router())
        .merge(insights::router())
        .merge(feed::router())
        .merge(feed_import::router())
        .merge(search::router())
        .merge(settings::router())
        .merge(webhooks::router())
        .merge(assets::router())
}

//! A search as a query string or a JSON body asks for it: the parameters
//! the API and the search page share, read into a `SearchRequest`.

use serde::Deserialize;

use super::query::{Order, SearchRequest, MAX_LIMIT, MAX_OFFSET};
use super::SearchError;
use crate::domain::{FactorCategory, Severity};

/// Results a search returns when it does not say.
pub const DEFAULT_LIMIT: usize = 10;

/// The query string of a search, shared by the API and the page (and the
/// body of a search sent by POST).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words, `"a phrase"`, `-word` to leave out, `field:word`
    /// (title, summary, body, tags, services, organization, severity).
    #[serde(default)]
    #[param(max_length = 500)]
    #[schema(max_length = 500)]
    pub q: String,
    pub tag: Option<String>,
    pub service: Option<String>,
    #[param(value_type = Option<Severity>)]
    #[schema(value_type = Option<Severity>)]
    pub severity: Option<String>,
    pub organization: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    #[param(value_type = Option<i32>)]
    #[schema(value_type = Option<i32>)]
    pub year: Option<String>,
    #[param(value_type = Option<FactorCategory>)]
    #[schema(value_type = Option<FactorCategory>)]
    pub category: Option<String>,
    /// `relevance` (the default) or `date`, newest first.
    #[param(pattern = "^(relevance|date|newest)$")]
    #[schema(pattern = "^(relevance|date|newest)$")]
    pub order: Option<String>,
    /// At most this many hits (10 when absent).
    #[serde(default, deserialize_with = "text_or_number")]
    #[param(value_type = Option<u32>, maximum = 100)]
    #[schema(value_type = Option<u32>, maximum = 100)]
    pub limit: Option<String>,
    /// Hits to skip, for the next page.
    #[serde(default, deserialize_with = "text_or_number")]
    #[param(value_type = Option<u32>, maximum = 10000)]
    #[schema(value_type = Option<u32>, maximum = 10000)]
    pub offset: Option<String>,
}

/// Query strings carry numbers as text; JSON bodies may carry either.
fn text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(i64),
    }
    Ok(Option::<TextOrNumber>::deserialize(deserializer)?.map(|value| match value {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => number.to_string(),
    }))
}

impl SearchParams {
    /// The request these parameters describe, or a message for the one that
    /// makes no sense.
    pub fn request(&self) -> Result<SearchRequest, SearchError> {
        let given =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let mut filters = Vec::new();
        if let Some(tag) = given(&self.tag) {
            filters.push(("tag".to_string(), tag.to_lowercase()));
        }
        if let Some(service) = given(&self.service) {
            filters.push(("service".to_string(), service.to_lowercase()));
        }
        if let Some(severity) = given(&self.severity) {
            let severity = Severity::parse(&severity)
                .ok_or_else(|| SearchError::BadQuery(format!("`severity` must be {}", Severity::choices())))?;
            filters.push(("severity".to_string(), severity.as_str().to_string()));
        }
        if let Some(organization) = given(&self.organization) {
            filters.push(("organization".to_string(), organization));
        }
        if let Some(year) = given(&self.year) {
            let year: i32 =
                year.parse().map_err(|_| SearchError::BadQuery("`year` must be a year such as 2013".into()))?;
            filters.push(("year".to_string(), year.to_string()));
        }
        if let Some(category) = given(&self.category) {
            let category = FactorCategory::parse(&category)
                .ok_or_else(|| SearchError::BadQuery(format!("`category` must be {}", FactorCategory::choices())))?;
            filters.push(("category".to_string(), category.as_str().to_string()));
        }
        let order = match given(&self.order).as_deref() {
            None | Some("relevance") => Order::Relevance,
            Some("date") | Some("newest") => Order::Newest,
            Some(_) => return Err(SearchError::BadQuery("`order` must be relevance or date".into())),
        };
        let number = |name: &str, value: &Option<String>, default: usize, most: usize| match given(value) {
            None => Ok(default),
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= most)
                .ok_or_else(|| SearchError::BadQuery(format!("`{name}` must be a number from 0 to {most}"))),
        };
        Ok(SearchRequest {
            q: self.q.clone(),
            filters,
            order,
            limit: number("limit", &self.limit, DEFAULT_LIMIT, MAX_LIMIT)?.max(1),
            offset: number("offset", &self.offset, 0, MAX_OFFSET)?,
        })
    }
}

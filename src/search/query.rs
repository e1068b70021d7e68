//! Answering a search: bound the query, parse it leniently, restrict it to
//! published reports and the chosen facets, then collect the top hits with
//! snippets and a count for every facet value. Also "similar incidents".

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::Serialize;
use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, MoreLikeThisQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Order as SortOrder, Searcher, TantivyDocument, Term};

use super::facets::{self, FacetCounter};
use super::memo::Memo;
use super::schema::{facet, FacetKind};
use super::{SearchError, SearchIndex};
use crate::domain::reported_time::truncate_for_message;
use crate::domain::{Incident, IncidentFields, Status};
use crate::markdown::plain_text;

/// Longer queries are refused before parsing.
pub const MAX_QUERY_CHARS: usize = 500;
/// Deeper nesting is refused before parsing: the parser recurses once per
/// level, and a deep enough query would overflow the stack.
pub const MAX_QUERY_DEPTH: usize = 16;
pub const MAX_LIMIT: usize = 100;
/// Results further down than this are not served.
pub const MAX_OFFSET: usize = 10_000;
const SNIPPET_CHARS: usize = 220;
/// Snippets are looked for in this much of a body at most: finding them
/// means analysing the text again, and a report may hold 256 KiB.
const SNIPPET_SOURCE_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Order {
    #[default]
    Relevance,
    Newest,
}

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    /// (facet root, value): `("tag", "dns")`, `("year", "2013")`.
    pub filters: Vec<(String, String)>,
    pub order: Order,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub slug: String,
    pub title: String,
    pub score: f32,
    /// HTML: the matching passage, escaped, with matches in `<mark>`.
    pub snippet: String,
    pub severity: Option<String>,
    pub organization: Option<String>,
    /// Unix seconds of the first reported time; none for an undated report.
    pub occurred_at: Option<i64>,
    /// That date as the report's cards say it: "8 Mar 2013", or "date
    /// unknown".
    pub when: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// Facet name (`tags`, `severity` …) to its values, most frequent
    /// first; shared with the later pages of the same query.
    #[serde(serialize_with = "shared")]
    #[schema(value_type = std::collections::BTreeMap<String, Vec<FacetCount>>)]
    pub facets: Arc<Facets>,
    /// What the lenient parser had to ignore, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// These results as the API's JSON, written once for a remembered answer.
    #[serde(skip)]
    json: OnceLock<Bytes>,
}

impl SearchResults {
    pub fn new(total: usize, hits: Vec<SearchHit>, facets: Arc<Facets>, notes: Vec<String>) -> SearchResults {
        SearchResults { total, hits, facets, notes, json: OnceLock::new() }
    }

    /// The results as JSON, written on the first call and shared after.
    pub fn json(&self) -> Bytes {
        self.json
            .get_or_init(|| Bytes::from(serde_json::to_vec(self).expect("search results serialize to JSON")))
            .clone()
    }
}

/// Each facet's values, most frequent first, in the order of
/// `FacetKind::ALL`. The API sends them as an object keyed by each facet's
/// JSON name (`{"tags": [...], "severity": [...]}`).
#[derive(Debug, Clone, Default)]
pub struct Facets {
    counts: [Vec<FacetCount>; FacetKind::ALL.len()],
}

impl Facets {
    /// The values of one facet, most frequent first.
    pub fn of(&self, kind: FacetKind) -> &[FacetCount] {
        let index = FacetKind::ALL.iter().position(|k| *k == kind).unwrap_or_default();
        &self.counts[index]
    }
}

impl Serialize for Facets {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut sorted: Vec<(&str, &Vec<FacetCount>)> =
            FacetKind::ALL.iter().map(|kind| kind.json_name()).zip(&self.counts).collect();
        // Alphabetical, as the API has always sent them.
        sorted.sort_by_key(|(name, _)| *name);
        let mut map = serializer.serialize_map(Some(sorted.len()))?;
        for (name, values) in sorted {
            map.serialize_entry(name, values)?;
        }
        map.end()
    }
}

fn shared<S: serde::Serializer>(facets: &Arc<Facets>, serializer: S) -> Result<S::Ok, S::Error> {
    facets.as_ref().serialize(serializer)
}

/// Refuses a query that is too long or nested too deeply, saying which.
pub fn check_bounds(q: &str) -> Result<(), SearchError> {
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError::BadQuery(format!(
            "the query is {chars} characters long; the limit is {MAX_QUERY_CHARS}"
        )));
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in q.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_QUERY_DEPTH {
        return Err(SearchError::BadQuery(format!(
            "the query nests brackets {deepest} deep; the limit is {MAX_QUERY_DEPTH}"
        )));
    }
    Ok(())
}

/// `q` with every character the query syntax gives a meaning to taken out,
/// and its operators lowercased, so what is left parses as the words typed:
/// `07:49` → `07 49`.
pub fn plain_words(q: &str) -> String {
    let spaced: String = q.chars().map(|c| if c.is_alphanumeric() || c == '_' || c == '.' { c } else { ' ' }).collect();
    spaced
        .split_whitespace()
        .map(|word| match word {
            "AND" | "OR" | "NOT" | "IN" => word.to_lowercase(),
            _ => word.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rewrites `NOT term` as `-term`, which the parser understands; `NOT`
/// inside a phrase stays a word.
pub fn rewrite_not(q: &str) -> String {
    let mut out = String::with_capacity(q.len());
    let mut in_phrase = false;
    let mut rest = q;
    while let Some(c) = rest.chars().next() {
        let at_word_start = out.is_empty() || out.ends_with(|p: char| p.is_whitespace() || p == '(');
        if !in_phrase && at_word_start && rest.starts_with("NOT") {
            let after = &rest[3..];
            if after.starts_with(char::is_whitespace) {
                let next = after.trim_start();
                if !next.is_empty() {
                    out.push('-');
                    rest = next;
                    continue;
                }
            }
        }
        if c == '"' {
            in_phrase = !in_phrase;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

impl SearchIndex {
    fn parser(&self) -> QueryParser {
        let f = &self.fields;
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![
                f.title,
                f.summary,
                f.body,
                f.timeline,
                f.factors,
                f.actions,
                f.tag,
                f.service,
                f.organization,
                f.severity,
            ],
        );
        parser.set_field_boost(f.title, 3.0);
        parser.set_field_boost(f.summary, 1.5);
        parser.set_field_boost(f.tag, 1.5);
        parser.set_field_boost(f.service, 1.5);
        parser.set_conjunction_by_default();
        parser
    }

    /// A search, answered from memory when it was asked since the index
    /// last changed, or else worked out on a blocking thread.
    pub async fn answer(self: &Arc<Self>, request: SearchRequest) -> Result<Arc<SearchResults>, SearchError> {
        let key = self.key_of(&request)?;
        let state = self.applied_change();
        if let Some(results) = self.memo.searches.get(state, &key) {
            return Ok(results);
        }
        let search = Arc::clone(self);
        tokio::task::spawn_blocking(move || search.work_out(state, key))
            .await
            .map_err(|error| SearchError::Other(error.into()))?
    }

    pub fn search(&self, request: &SearchRequest) -> Result<Arc<SearchResults>, SearchError> {
        let key = self.key_of(request)?;
        let state = self.applied_change();
        match self.memo.searches.get(state, &key) {
            Some(results) => Ok(results),
            None => self.work_out(state, key),
        }
    }

    fn key_of(&self, request: &SearchRequest) -> Result<SearchKey, SearchError> {
        self.check_ready()?;
        check_bounds(&request.q)?;
        Ok(SearchKey {
            q: request.q.chars().map(|c| if c.is_control() { ' ' } else { c }).collect(),
            filters: request.filters.clone(),
            order: request.order,
            limit: request.limit.clamp(1, MAX_LIMIT),
            offset: request.offset.min(MAX_OFFSET),
        })
    }

    /// Works a search out and remembers it under `state`, the index's
    /// position read before the searcher is taken: the indexer reloads the
    /// reader before it moves the position, so the answer is never older
    /// than its state.
    fn work_out(&self, state: i64, key: SearchKey) -> Result<Arc<SearchResults>, SearchError> {
        let q = &key.q;
        let mut notes = Vec::new();
        let user_query: Box<dyn Query> = if q.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            let (query, errors) = self.parser().parse_query_lenient(&rewrite_not(q));
            if errors.is_empty() {
                query
            } else {
                // Not search syntax after all (`07:49`, a lone bracket):
                // search for the words as typed.
                let words = plain_words(q);
                notes.push(format!(
                    "“{}” was searched as plain words: part of it looked like search syntax (a colon, a bracket or \
                     a quote) but was not",
                    truncate_for_message(q.trim())
                ));
                if words.is_empty() {
                    Box::new(EmptyQuery)
                } else {
                    self.parser().parse_query_lenient(&words).0
                }
            }
        };
        let mut clauses = vec![(Occur::Must, user_query), (Occur::Must, self.published())];
        for (root, value) in &key.filters {
            let term = Term::from_facet(self.fields.facets, &facet(root, value));
            clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
        }
        let query = BooleanQuery::new(clauses);

        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(key.limit).and_offset(key.offset);
        let (addresses, counts) = match key.order {
            Order::Relevance => self.rank(&searcher, &query, top.order_by_score(), state, &key)?,
            Order::Newest => {
                let by_date = top.order_by_fast_field::<i64>("occurred_at", SortOrder::Desc);
                let (top, counts) = self.rank(&searcher, &query, by_date, state, &key)?;
                (top.into_iter().map(|(_, address)| (0.0, address)).collect(), counts)
            }
        };

        let body_snippets = snippet_generator(&searcher, &query, self.fields.body)?;
        let body_terms = terms_in(&query, self.fields.body);
        let summary_snippets = snippet_generator(&searcher, &query, self.fields.summary)?;
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let mut snippet = focused_snippet(&body_snippets, &body_terms, &bounded_text(&doc, self.fields.body));
            if snippet.highlighted().is_empty() {
                let from_summary = summary_snippets.snippet(&bounded_text(&doc, self.fields.summary));
                if !from_summary.highlighted().is_empty() || snippet.fragment().is_empty() {
                    snippet = from_summary;
                }
            }
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            hits.push(self.hit(&doc, score, snippet.to_html()));
        }

        let results = Arc::new(SearchResults::new(counts.total, hits, Arc::clone(&counts.facets), notes));
        self.memo.searches.put(state, key, Arc::clone(&results));
        Ok(results)
    }

    /// The query's top matches by `top`, and its counts: remembered, when
    /// the query with these filters was counted at `state`, or counted now
    /// and remembered. Counting visits every match and reads each one's
    /// facet values; the later pages and the other order share it.
    fn rank<C: Collector>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        top: C,
        state: i64,
        key: &SearchKey,
    ) -> Result<(C::Fruit, Arc<Totals>), SearchError> {
        let counts_key = (key.q.clone(), key.filters.clone());
        if let Some(counts) = self.memo.counts.get(state, &counts_key) {
            return Ok((searcher.search(query, &top)?, counts));
        }
        let facets = FacetCounter { labels: &self.facet_labels };
        let (total, top, facets) = searcher.search(query, &(Count, top, facets))?;
        let counts = Arc::new(self.counted(searcher, total, facets));
        self.memo.counts.put(state, counts_key, Arc::clone(&counts));
        Ok((top, counts))
    }

    /// A search's total and facet counts, most frequent value first.
    fn counted(&self, searcher: &Searcher, total: usize, facets: facets::Counts) -> Totals {
        let live: Vec<_> = searcher.segment_readers().iter().map(|segment| segment.segment_id()).collect();
        self.facet_labels.keep_only(&live);
        let mut counts = facets.into_iter().map(most_frequent);
        let facets = Facets { counts: std::array::from_fn(|_| counts.next().unwrap_or_default()) };
        Totals { total, facets: Arc::new(facets) }
    }

    /// Forgets every search and similar incidents worked out, so that a
    /// benchmark measures the work rather than the memory of it.
    pub fn forget_answers(&self) {
        self.memo.searches.forget();
        self.memo.counts.forget();
        self.memo.similar.forget();
    }

    /// `similar`, on a blocking thread.
    pub async fn similar_to(self: &Arc<Self>, incident: Incident, limit: usize) -> Result<Vec<SearchHit>, SearchError> {
        let search = Arc::clone(self);
        tokio::task::spawn_blocking(move || search.similar(&incident, limit))
            .await
            .map_err(|error| SearchError::Other(error.into()))?
    }

    /// Published incidents most like a report being written, off the async
    /// workers (see `similar_to_unsaved`).
    pub async fn similar_to_draft(
        self: &Arc<Self>,
        id: i64,
        fields: IncidentFields,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let search = Arc::clone(self);
        tokio::task::spawn_blocking(move || search.similar_to_unsaved(id, &fields, limit))
            .await
            .map_err(|error| SearchError::Other(error.into()))?
    }

    /// Published incidents most like `incident` in title, summary, timeline
    /// and factors, best first, excluding itself.
    /// None while the index is being built: a report reads fine without
    /// its suggestions.
    /// Worked out once per version of the report and state of the index,
    /// then remembered until the index changes.
    pub fn similar(&self, incident: &Incident, limit: usize) -> Result<Vec<SearchHit>, SearchError> {
        if !self.is_ready() {
            return Ok(Vec::new());
        }
        // Read before the search: a commit meanwhile leaves this answer
        // under the older state, which the next lookup then discards.
        let state = self.applied_change();
        let key = SimilarKey { incident: incident.id, version: incident.meta.version, limit };
        if let Some(hits) = self.memo.similar.get(state, &key) {
            return Ok(hits);
        }
        let hits = self.find_similar(incident.id, &incident.fields, limit)?;
        self.memo.similar.put(state, key, hits.clone());
        Ok(hits)
    }

    /// Published incidents most like a report still being written: worked
    /// out afresh each time, as its text changes with every keystroke.
    pub fn similar_to_unsaved(
        &self,
        id: i64,
        report: &IncidentFields,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        if !self.is_ready() {
            return Ok(Vec::new());
        }
        self.find_similar(id, report, limit)
    }

    fn find_similar(&self, id: i64, report: &IncidentFields, limit: usize) -> Result<Vec<SearchHit>, SearchError> {
        let f = &self.fields;
        let text = |values: Vec<&str>| values.into_iter().map(|v| OwnedValue::Str(plain_text(v))).collect::<Vec<_>>();
        let like = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_max_doc_frequency(u64::MAX)
            .with_min_term_frequency(1)
            .with_min_word_length(3)
            .with_max_query_terms(40)
            .with_document_fields(vec![
                (f.title, text(vec![&report.title])),
                (f.summary, text(vec![&report.summary])),
                (f.timeline, text(report.timeline.iter().map(|e| e.text.as_str()).collect())),
                (f.factors, text(report.factors.iter().map(|x| x.text.as_str()).collect())),
            ]);
        let itself = Term::from_field_u64(f.id, id.unsigned_abs());
        let query = BooleanQuery::new(vec![
            (Occur::Should, Box::new(like) as Box<dyn Query>),
            (Occur::Must, self.published()),
            (Occur::MustNot, Box::new(TermQuery::new(itself, IndexRecordOption::Basic))),
        ]);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit.clamp(1, MAX_LIMIT)).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            if score <= 0.0 {
                continue;
            }
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&doc, score, String::new()));
        }
        Ok(hits)
    }

    fn published(&self) -> Box<dyn Query> {
        let term = Term::from_field_text(self.fields.status, Status::Published.as_str());
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, snippet: String) -> SearchHit {
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
        SearchHit {
            slug: text(self.fields.slug).unwrap_or_default(),
            title: text(self.fields.title).unwrap_or_default(),
            score,
            snippet,
            severity: text(self.fields.severity),
            organization: text(self.fields.organization),
            occurred_at: doc.get_first(self.fields.reported_at).and_then(|v| v.as_i64()),
            when: text(self.fields.when),
        }
    }
}

/// What is remembered for one state of the index, and how much of it.
#[derive(Debug)]
pub(super) struct Answers {
    /// Whole searches: their hits and snippets, and their counts shared
    /// with `counts` (a few KB for a page of ten hits, about 100 KB at most
    /// for a hundred).
    searches: Memo<SearchKey, Arc<SearchResults>>,
    /// Each query's total and facet counts, which the later pages of its
    /// results and the other order share.
    counts: Memo<CountsKey, Arc<Totals>>,
    /// Each report's similar incidents (about 1 KB each).
    similar: Memo<SimilarKey, Vec<SearchHit>>,
}

impl Default for Answers {
    fn default() -> Answers {
        Answers {
            searches: Memo::with_capacity(256),
            counts: Memo::with_capacity(256),
            similar: Memo::with_capacity(4_096),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SearchKey {
    /// The query as searched: control characters made spaces.
    q: String,
    filters: Vec<(String, String)>,
    order: Order,
    limit: usize,
    offset: usize,
}

/// A query and its filters: what its counts depend on.
type CountsKey = (String, Vec<(String, String)>);

#[derive(Debug)]
struct Totals {
    total: usize,
    facets: Arc<Facets>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SimilarKey {
    incident: i64,
    version: i64,
    limit: usize,
}

/// Values of each facet a search counts at most: a base with thousands of
/// tags would otherwise answer, and remember, every one of them.
pub const MAX_FACET_VALUES: usize = 100;

/// A facet's values, most frequent first (ties by name), the first
/// `MAX_FACET_VALUES` of them.
fn most_frequent(counts: std::collections::HashMap<Arc<str>, u64>) -> Vec<FacetCount> {
    let mut values: Vec<(Arc<str>, u64)> = counts.into_iter().collect();
    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values.truncate(MAX_FACET_VALUES);
    values.into_iter().map(|(value, count)| FacetCount { value: value.to_string(), count }).collect()
}

/// Bytes of text around a likely match that a snippet is looked for in.
const FOCUS_BEFORE: usize = 150;
const FOCUS_AFTER: usize = 350;

/// A snippet of `text`, analysing only windows around the places where a
/// query term appears. Most English stems are prefixes of the words they
/// come from ("deploy" in "deployed"), so a case-insensitive search for each
/// stem finds the candidates cheaply; the analyser then confirms a match.
/// Analysing whole bodies instead costs more than the search itself.
fn focused_snippet(generator: &SnippetGenerator, terms: &[String], text: &str) -> tantivy::snippet::Snippet {
    const ATTEMPTS: usize = 3;
    let lowercase = text.to_ascii_lowercase();
    let mut from = 0;
    for _ in 0..ATTEMPTS {
        let next = terms.iter().filter_map(|term| lowercase[from..].find(term.as_str()).map(|at| from + at)).min();
        let Some(at) = next else { break };
        let snippet = generator.snippet(&text[window(text, at)]);
        if !snippet.highlighted().is_empty() {
            return snippet;
        }
        from = at + 1;
        while !lowercase.is_char_boundary(from) {
            from += 1;
        }
    }
    generator.snippet("")
}

/// The text of the query's terms on `field`, as the index stores them.
fn terms_in(query: &dyn Query, field: tantivy::schema::Field) -> Vec<String> {
    let mut terms = Vec::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            if let Some(text) = term.value().as_str() {
                terms.push(text.to_string());
            }
        }
    });
    terms
}

/// About half a kilobyte of `text` around byte `at` (a snippet is 220
/// characters), on character boundaries.
fn window(text: &str, at: usize) -> std::ops::Range<usize> {
    let mut from = at.saturating_sub(FOCUS_BEFORE);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (at + FOCUS_AFTER).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }
    from..to
}

/// A stored text field's values, cut at `SNIPPET_SOURCE_BYTES`.
fn bounded_text(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    let mut text = String::new();
    for value in doc.get_all(field).filter_map(|v| v.as_str()) {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(value);
        if text.len() >= SNIPPET_SOURCE_BYTES {
            let mut cut = SNIPPET_SOURCE_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            break;
        }
    }
    text
}

fn snippet_generator(
    searcher: &Searcher,
    query: &dyn Query,
    field: tantivy::schema::Field,
) -> Result<SnippetGenerator, SearchError> {
    let mut generator = SnippetGenerator::create(searcher, query, field)?;
    generator.set_max_num_chars(SNIPPET_CHARS);
    Ok(generator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_facet_keeps_its_most_frequent_values() {
        let counts = (0..250u64).map(|n| (Arc::from(format!("tag{n:03}")), n % 120)).collect();
        let values = most_frequent(counts);
        assert_eq!(values.len(), MAX_FACET_VALUES);
        // Two values of each count from 119 down: the first hundred go to 70.
        let first: Vec<(&str, u64)> = values.iter().take(3).map(|v| (v.value.as_str(), v.count)).collect();
        assert_eq!(first, [("tag119", 119), ("tag239", 119), ("tag118", 118)], "ties by name");
        assert!(values.windows(2).all(|pair| pair[0].count >= pair[1].count));
        assert_eq!(values.last().map(|v| (v.value.as_str(), v.count)), Some(("tag190", 70)));
    }

    #[test]
    fn not_becomes_a_minus_outside_phrases() {
        assert_eq!(rewrite_not("dns AND NOT mysql"), "dns AND -mysql");
        assert_eq!(rewrite_not("NOT dns"), "-dns");
        assert_eq!(rewrite_not("(NOT dns)"), "(-dns)");
        assert_eq!(rewrite_not("\"NOT dns\" NOTE"), "\"NOT dns\" NOTE");
        assert_eq!(rewrite_not("dns NOT"), "dns NOT");
    }

    #[test]
    fn long_and_deep_queries_are_refused_before_parsing() {
        assert!(check_bounds("stack overflow").is_ok());
        assert!(check_bounds(&"(a ".repeat(16)).is_ok());
        let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(check_bounds(&deep), Err(SearchError::BadQuery(m)) if m.contains("limit")));
        assert!(matches!(check_bounds(&"a".repeat(501)), Err(SearchError::BadQuery(_))));
    }
}

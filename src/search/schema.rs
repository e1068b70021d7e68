//! The index's schema, and how an incident becomes a document. Changing
//! either means bumping `SCHEMA_VERSION`, which rebuilds every index from
//! the database at its next start.

use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::TantivyDocument;

use super::tokenizer::ANALYZER;
use crate::domain::{EachLearning, Incident};
use crate::markdown::plain_text;

pub const SCHEMA_VERSION: u32 = 3;

/// Handles to every field, looked up once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub slug: Field,
    pub status: Field,
    pub title: Field,
    pub summary: Field,
    pub body: Field,
    pub timeline: Field,
    pub factors: Field,
    pub actions: Field,
    pub tag: Field,
    pub service: Field,
    pub organization: Field,
    pub severity: Field,
    /// When it happened, as the card says it ("8 Mar 2013"), for results.
    pub when: Field,
    /// For ordering by date: when it happened, undated reports last.
    pub occurred_at: Field,
    /// When it happened, for a report that says so.
    pub reported_at: Field,
    pub facets: Field,
}

pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let indexing =
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let text = TextOptions::default().set_indexing_options(indexing);
    let stored_text = text.clone().set_stored();
    let fields = Fields {
        id: builder.add_u64_field("id", NumericOptions::default() | INDEXED | STORED | FAST),
        slug: builder.add_text_field("slug", STRING | STORED),
        status: builder.add_text_field("status", STRING),
        title: builder.add_text_field("title", stored_text.clone()),
        summary: builder.add_text_field("summary", stored_text.clone()),
        body: builder.add_text_field("body", stored_text.clone()),
        timeline: builder.add_text_field("timeline", text.clone()),
        factors: builder.add_text_field("factors", text.clone()),
        actions: builder.add_text_field("actions", text.clone()),
        tag: builder.add_text_field("tag", text.clone()),
        service: builder.add_text_field("service", text.clone()),
        organization: builder.add_text_field("organization", stored_text.clone()),
        severity: builder.add_text_field("severity", stored_text),
        when: builder.add_text_field("when", STORED),
        occurred_at: builder.add_i64_field("occurred_at", NumericOptions::default() | FAST),
        reported_at: builder.add_i64_field("reported_at", NumericOptions::default() | STORED),
        facets: builder.add_facet_field("facets", FacetOptions::default()),
    };
    (builder.build(), fields)
}

/// What search results are counted by, in the order the API and the page
/// list them. Each has its root in the index (`/tag/dns`), which is also the
/// query parameter that narrows by it, its name in the API's JSON, and its
/// heading on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FacetKind {
    Tag,
    Service,
    Severity,
    Organization,
    Year,
    Category,
}

impl FacetKind {
    pub const ALL: [FacetKind; 6] = [
        FacetKind::Tag,
        FacetKind::Service,
        FacetKind::Severity,
        FacetKind::Organization,
        FacetKind::Year,
        FacetKind::Category,
    ];

    /// The facet's root in the index, and the parameter that narrows by it.
    pub fn root(self) -> &'static str {
        match self {
            FacetKind::Tag => "tag",
            FacetKind::Service => "service",
            FacetKind::Severity => "severity",
            FacetKind::Organization => "organization",
            FacetKind::Year => "year",
            FacetKind::Category => "category",
        }
    }

    /// Its key in the API's `facets` object.
    pub fn json_name(self) -> &'static str {
        match self {
            FacetKind::Tag => "tags",
            FacetKind::Service => "services",
            other => other.root(),
        }
    }

    /// Its heading on the search page.
    pub fn heading(self) -> &'static str {
        match self {
            FacetKind::Tag => "Tags",
            FacetKind::Service => "Services",
            FacetKind::Severity => "Severity",
            FacetKind::Organization => "Organization",
            FacetKind::Year => "Year",
            FacetKind::Category => "Contributing factor",
        }
    }
}

pub fn facet(root: &str, value: &str) -> Facet {
    Facet::from_path([root, value])
}

pub fn document(fields: &Fields, incident: &Incident) -> TantivyDocument {
    let report = &incident.fields;
    let mut doc = TantivyDocument::default();
    doc.add_u64(fields.id, incident.id.unsigned_abs());
    doc.add_text(fields.slug, &report.slug);
    doc.add_text(fields.status, report.status.as_str());
    doc.add_text(fields.title, &report.title);
    doc.add_text(fields.summary, plain_text(&report.summary));
    doc.add_text(fields.body, plain_text(&report.body));
    doc.add_text(fields.body, plain_text(&report.impact));
    for (_, text) in report.learnings() {
        doc.add_text(fields.body, plain_text(text));
    }
    for event in &report.timeline {
        doc.add_text(fields.timeline, plain_text(&event.text));
    }
    for factor in &report.factors {
        doc.add_text(fields.factors, plain_text(&factor.text));
        doc.add_facet(fields.facets, facet("category", factor.category.as_str()));
    }
    for action in &report.actions {
        doc.add_text(fields.actions, plain_text(&action.text));
        if let Some(owner) = &action.owner {
            doc.add_text(fields.actions, owner);
        }
    }
    for tag in &report.tags {
        doc.add_text(fields.tag, tag);
        doc.add_facet(fields.facets, facet("tag", tag));
    }
    for service in &report.services {
        doc.add_text(fields.service, service);
        doc.add_facet(fields.facets, facet("service", service));
    }
    if let Some(organization) = &report.organization {
        doc.add_text(fields.organization, organization);
        doc.add_facet(fields.facets, facet("organization", organization));
    }
    if let Some(severity) = report.severity {
        doc.add_text(fields.severity, severity.as_str());
        doc.add_facet(fields.facets, facet("severity", severity.as_str()));
    }
    doc.add_text(fields.when, crate::read_model::card::when(report));
    // Only a reported time gives a year; an undated incident has none.
    if let Some(time) = report.first_dated() {
        doc.add_facet(fields.facets, facet("year", &time.local().year().to_string()));
        doc.add_i64(fields.reported_at, time.unix_seconds());
    }
    doc.add_i64(fields.occurred_at, report.sort_key());
    doc
}

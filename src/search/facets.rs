//! Facet counts for a search: for every match, its facet values are read
//! from the facet column and counted by ordinal. tantivy's own
//! `FacetCollector` streams a segment's whole facet dictionary for every
//! query (to group values under the requested roots) and looks each counted
//! value up again after; our facets are all `/root/value`, so a count by
//! ordinal needs neither, and each segment's ordinals are named once and
//! kept for as long as the segment lives (segments never change).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::index::SegmentId;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::FacetKind;

/// A facet value's root (its place in `FacetKind::ALL`) and its value.
type Label = (usize, Arc<str>);

/// The labels of one segment's facet ordinals; `None` for a value under
/// another root.
type SegmentLabels = Arc<Vec<Option<Label>>>;

/// Each live segment's labels of one facet field, named on first use.
#[derive(Debug)]
pub struct FacetLabels {
    field: &'static str,
    segments: Mutex<HashMap<SegmentId, SegmentLabels>>,
}

impl FacetLabels {
    pub fn for_field(field: &'static str) -> FacetLabels {
        FacetLabels { field, segments: Mutex::default() }
    }

    fn of(&self, segment: &SegmentReader, reader: &FacetReader) -> tantivy::Result<SegmentLabels> {
        let id = segment.segment_id();
        if let Some(labels) = self.lock().get(&id) {
            return Ok(Arc::clone(labels));
        }
        let mut labels = Vec::with_capacity(reader.num_facets());
        let mut facet = Facet::root();
        for ord in 0..reader.num_facets() as u64 {
            reader.facet_from_ord(ord, &mut facet)?;
            let path = facet.to_path();
            // A bare root (`/tag`) is not a value, as tantivy's collector
            // has it too.
            let root = path.first().and_then(|root| FacetKind::ALL.iter().position(|kind| kind.root() == *root));
            let value = path.last().filter(|_| path.len() > 1);
            labels.push(root.zip(value).map(|(root, value)| (root, Arc::from(*value))));
        }
        let labels = Arc::new(labels);
        self.lock().insert(id, Arc::clone(&labels));
        Ok(labels)
    }

    /// Forgets the segments that are gone (merged or deleted), once more
    /// are kept than `live` holds.
    pub fn keep_only(&self, live: &[SegmentId]) {
        let mut segments = self.lock();
        if segments.len() > live.len() {
            segments.retain(|id, _| live.contains(id));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, SegmentLabels>> {
        // The map is whole after any panic: entries are inserted complete.
        self.segments.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Counts, per facet of `FacetKind::ALL`, each value's matches.
pub type Counts = Vec<HashMap<Arc<str>, u64>>;

pub struct FacetCounter<'a> {
    pub labels: &'a FacetLabels,
}

impl Collector for FacetCounter<'_> {
    type Fruit = Counts;
    type Child = SegmentCounter;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentCounter> {
        let reader = segment.facet_reader(self.labels.field)?;
        let labels = self.labels.of(segment, &reader)?;
        Ok(SegmentCounter { counts: vec![0; labels.len()], labels, reader })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut merged: Counts = vec![HashMap::new(); FacetKind::ALL.len()];
        for segment in segments {
            for (root, values) in segment.into_iter().enumerate() {
                for (value, count) in values {
                    *merged[root].entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

pub struct SegmentCounter {
    reader: FacetReader,
    labels: SegmentLabels,
    counts: Vec<u64>,
}

impl SegmentCollector for SegmentCounter {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        let mut previous = u64::MAX;
        for ord in self.reader.facet_ords(doc) {
            // A value twice on one report counts once.
            if ord != previous {
                if let Some(count) = self.counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
            previous = ord;
        }
    }

    fn harvest(self) -> Counts {
        let mut counts: Counts = vec![HashMap::new(); FacetKind::ALL.len()];
        for (label, count) in self.labels.iter().zip(self.counts) {
            if let (Some((root, value)), 1..) = (label, count) {
                *counts[*root].entry(Arc::clone(value)).or_default() += count;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tantivy::collector::FacetCollector;
    use tantivy::query::{AllQuery, Query, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;
    use crate::search::schema::{self, facet};

    /// The counts tantivy's own collector gives, as (root, value) → count.
    fn tantivys(searcher: &tantivy::Searcher, query: &dyn Query) -> BTreeMap<(String, String), u64> {
        let mut collector = FacetCollector::for_field("facets");
        for root in FacetKind::ALL.map(FacetKind::root) {
            collector.add_facet(format!("/{root}").as_str());
        }
        let counts = searcher.search(query, &collector).unwrap();
        let mut out = BTreeMap::new();
        for root in FacetKind::ALL.map(FacetKind::root) {
            for (value, count) in counts.get(format!("/{root}").as_str()) {
                let path = value.to_path().iter().map(|part| part.to_string()).collect::<Vec<_>>();
                out.insert((root.to_string(), path.last().cloned().unwrap_or_default()), count);
            }
        }
        out
    }

    fn ours(searcher: &tantivy::Searcher, query: &dyn Query, labels: &FacetLabels) -> BTreeMap<(String, String), u64> {
        let counts = searcher.search(query, &FacetCounter { labels }).unwrap();
        let mut out = BTreeMap::new();
        for (root, values) in FacetKind::ALL.map(FacetKind::root).iter().zip(counts) {
            for (value, count) in values {
                out.insert((root.to_string(), value.to_string()), count);
            }
        }
        out
    }

    #[test]
    fn counts_by_ordinal_equal_tantivys_facet_collector_across_segments() {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(crate::search::tokenizer::ANALYZER, crate::search::tokenizer::analyzer());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let reports: [(&str, &[(&str, &str)]); 5] = [
            ("a", &[("tag", "dns"), ("tag", "mysql"), ("severity", "sev1"), ("year", "2013")]),
            ("b", &[("tag", "dns"), ("service", "api/edge"), ("year", "2013")]),
            ("c", &[("tag", "bgp"), ("organization", "Cloudflare"), ("category", "change")]),
            ("d", &[("tag", "dns"), ("tag", "dns"), ("year", "2019")]),
            ("e", &[]),
        ];
        for (at, (slug, values)) in reports.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.slug, slug);
            for (root, value) in *values {
                doc.add_facet(fields.facets, facet(root, value));
            }
            writer.add_document(doc).unwrap();
            if at % 2 == 1 {
                writer.commit().unwrap(); // several segments
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 1);
        let labels = FacetLabels::for_field("facets");
        let some = TermQuery::new(Term::from_field_text(fields.slug, "b"), IndexRecordOption::Basic);
        for query in [&AllQuery as &dyn Query, &some] {
            let expected = tantivys(&searcher, query);
            assert_eq!(ours(&searcher, query, &labels), expected);
            assert_eq!(ours(&searcher, query, &labels), expected, "again, from the named ordinals");
        }
        let all = ours(&searcher, &AllQuery, &labels);
        assert_eq!(all[&("tag".to_string(), "dns".to_string())], 3, "a value twice on one report counts once");
        assert_eq!(all[&("service".to_string(), "api/edge".to_string())], 1);
        labels.keep_only(&[]);
        assert!(labels.lock().is_empty(), "gone segments are forgotten");
    }
}

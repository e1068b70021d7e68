//! Rendered Markdown and timelines, kept per incident version. A version
//! never changes once written, so its rendering can be reused until evicted;
//! a page view then costs its database reads and a template fill.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::timeline::{self, TimelineView};
use crate::domain::Incident;
use crate::markdown;

/// Everything on a report page that comes from the writer's Markdown.
#[derive(Debug)]
pub struct RenderedReport {
    pub summary_html: String,
    pub body_html: String,
    pub impact_html: String,
    pub factors_html: Vec<String>,
    pub actions_html: Vec<String>,
    pub timeline: TimelineView,
}

impl RenderedReport {
    fn render(incident: &Incident) -> RenderedReport {
        let fields = &incident.fields;
        RenderedReport {
            summary_html: markdown::render(&fields.summary),
            body_html: markdown::render(&fields.body),
            impact_html: markdown::render(&fields.impact),
            factors_html: fields.factors.iter().map(|f| markdown::render_inline(&f.text)).collect(),
            actions_html: fields.actions.iter().map(|a| markdown::render_inline(&a.text)).collect(),
            timeline: timeline::build(fields),
        }
    }
}

type Key = (i64, i64);

/// The renderings, and their keys from oldest to newest.
#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Key, Arc<RenderedReport>>,
    order: VecDeque<Key>,
}

/// A bounded map from (incident id, version) to its rendering; the oldest
/// entry goes first when it is full.
#[derive(Debug)]
pub struct RenderCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl RenderCache {
    pub fn new(capacity: usize) -> RenderCache {
        RenderCache { capacity: capacity.max(1), entries: Mutex::new(Entries::default()) }
    }

    pub fn get(&self, incident: &Incident) -> Arc<RenderedReport> {
        let key = (incident.id, incident.meta.version);
        if let Some(hit) = self.lock().map.get(&key) {
            return Arc::clone(hit);
        }
        // Render without holding the lock; two requests may both render a
        // new version once, which is harmless.
        let rendered = Arc::new(RenderedReport::render(incident));
        let mut entries = self.lock();
        if entries.map.insert(key, Arc::clone(&rendered)).is_none() {
            entries.order.push_back(key);
            while entries.order.len() > self.capacity {
                if let Some(oldest) = entries.order.pop_front() {
                    entries.map.remove(&oldest);
                }
            }
        }
        rendered
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves the map consistent, so a
        // poisoned lock is still safe to use.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IncidentInput, IncidentMeta};

    fn incident(id: i64, version: i64, summary: &str) -> Incident {
        let fields =
            IncidentInput { title: "T".into(), summary: summary.into(), ..Default::default() }.validate().unwrap();
        Incident { id, fields, meta: IncidentMeta { version, ..IncidentMeta::new_by("test") } }
    }

    #[test]
    fn a_version_is_rendered_once_and_a_new_version_again() {
        let cache = RenderCache::new(8);
        let first = cache.get(&incident(1, 1, "**one**"));
        assert!(Arc::ptr_eq(&first, &cache.get(&incident(1, 1, "**one**"))));
        assert_eq!(first.summary_html.trim(), "<p><strong>one</strong></p>");
        let second = cache.get(&incident(1, 2, "two"));
        assert_eq!(second.summary_html.trim(), "<p>two</p>");
    }

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let cache = RenderCache::new(3);
        for id in 0..10 {
            cache.get(&incident(id, 1, "x"));
        }
        let entries = cache.lock();
        assert_eq!((entries.map.len(), entries.order.len()), (3, 3));
        assert!(entries.map.contains_key(&(9, 1)) && !entries.map.contains_key(&(0, 1)));
    }
}

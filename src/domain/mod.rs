//! Validated types and the rules of a report. Nothing here touches the
//! database or HTTP: after parsing at the edge, a value of these types is
//! valid.

pub mod audit;
pub mod durations;
pub mod incident;
pub mod key_moment;
pub mod learning;
pub mod list_filter;
pub mod reported_time;
pub mod revision_diff;
pub mod slug;
pub mod taxonomy;
pub mod timeline_paste;
pub mod user;
pub mod validation;
pub mod workflow;
pub mod written_time;
pub mod zones;

pub use durations::{Durations, Elapsed, Measured};
pub use incident::{
    ActionItem, Factor, Incident, IncidentFields, IncidentInput, IncidentMeta, RelatedLink, TimelineEvent,
};
pub use key_moment::{EachMoment, KeyMoment};
pub use learning::{EachLearning, Learning};
pub use reported_time::{Precision, ReportedTime, ReportedTimeInput};
pub use taxonomy::{
    ActionStatus, Detection, EventKind, FactorCategory, Priority, RelationKind, Role, Scope, Severity, Status,
};
pub use validation::{FieldError, ValidationErrors};

/// A small deterministic source of random numbers for the randomised tests
/// of the parsers: the same run every time, no dependency.
#[cfg(test)]
pub(crate) struct TestRandom(u64);

#[cfg(test)]
impl TestRandom {
    pub(crate) fn new(seed: u64) -> TestRandom {
        TestRandom(seed.max(1))
    }

    /// A number below `bound` (xorshift64).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound.max(1) as u64) as usize
    }
}

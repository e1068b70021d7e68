//! Validated types and the rules of a report. Nothing here touches the
//! database or HTTP: after parsing at the edge, a value of these types is
//! valid.

pub mod durations;
pub mod incident;
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
pub use reported_time::{Precision, ReportedTime, ReportedTimeInput};
pub use taxonomy::{
    ActionStatus, Detection, EventKind, FactorCategory, Priority, RelationKind, Role, Scope, Severity, Status,
};
pub use validation::{FieldError, ValidationErrors};

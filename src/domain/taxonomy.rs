//! The closed vocabularies of a report: status, severity, detection, event
//! kinds, factor categories, action states and link kinds. Each is stored and
//! sent as its snake_case name, and shown to people as its label; both are
//! written here, once, and every page, form and drawing reads them.

/// Declares a string-valued enum with `ALL`, `as_str`, `label`, `parse` and
/// serde support, so each vocabulary is written down exactly once.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal as $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The name people read: "Customer report".
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }

            /// "a, b or c", for validation messages.
            pub fn choices() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|value| value.as_str()).collect();
                match names.split_last() {
                    Some((last, [])) => last.to_string(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        /// In the API's document: a string, one of the names.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|value| value.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

vocabulary!(
    /// Where a report is in its life.
    Status { Draft => "draft" as "Draft", InReview => "in_review" as "In review", Published => "published" as "Published" }
);
// The vocabulary macro declares the enum, so its default is written here.
#[allow(clippy::derivable_impls)]
impl Default for Status {
    fn default() -> Status {
        Status::Draft
    }
}

vocabulary!(
    /// How bad it was; sev1 is the worst.
    Severity { Sev1 => "sev1" as "SEV1", Sev2 => "sev2" as "SEV2", Sev3 => "sev3" as "SEV3", Sev4 => "sev4" as "SEV4" }
);
vocabulary!(
    /// How the incident came to the responders' attention.
    Detection {
        Monitoring => "monitoring" as "Monitoring",
        CustomerReport => "customer_report" as "Customer report",
        Internal => "internal" as "Internal",
        ThirdParty => "third_party" as "Third party",
        Unknown => "unknown" as "Unknown",
    }
);
// The vocabulary macro declares the enum, so its default is written here.
#[allow(clippy::derivable_impls)]
impl Default for Detection {
    fn default() -> Detection {
        Detection::Unknown
    }
}

vocabulary!(
    /// What a timeline event was.
    EventKind {
        Trigger => "trigger" as "Trigger",
        Detection => "detection" as "Detection",
        Escalation => "escalation" as "Escalation",
        Action => "action" as "Action",
        Mitigation => "mitigation" as "Mitigation",
        Resolution => "resolution" as "Resolution",
        Communication => "communication" as "Communication",
        Note => "note" as "Note",
    }
);
vocabulary!(
    /// The taxonomy of contributing factors; each has its own page.
    FactorCategory {
        Change => "change" as "Change or deploy",
        Configuration => "configuration" as "Configuration",
        SoftwareDefect => "software_defect" as "Software defect",
        Dependency => "dependency" as "Third-party dependency",
        Capacity => "capacity" as "Capacity",
        Hardware => "hardware" as "Hardware",
        MonitoringGap => "monitoring_gap" as "Monitoring gap",
        Process => "process" as "Process",
        Security => "security" as "Security",
        DataLoss => "data_loss" as "Data loss",
    }
);
vocabulary!(
    /// Where a remediation stands.
    ActionStatus { Open => "open" as "Open", InProgress => "in_progress" as "In progress", Done => "done" as "Done", WontDo => "wont_do" as "Won't do" }
);
impl ActionStatus {
    /// The states of an action still to be done: what "open" means on every
    /// page, count and filter.
    pub const OPEN: [ActionStatus; 2] = [ActionStatus::Open, ActionStatus::InProgress];

    pub fn is_open(self) -> bool {
        ActionStatus::OPEN.contains(&self)
    }
}

vocabulary!(
    /// How urgent a remediation is.
    Priority { Low => "low" as "LOW", Medium => "medium" as "MEDIUM", High => "high" as "HIGH", Critical => "critical" as "CRITICAL" }
);
vocabulary!(
    /// How two incidents are linked.
    RelationKind { Related => "related" as "Related", RecurrenceOf => "recurrence_of" as "Recurrence of", CausedBy => "caused_by" as "Caused by" }
);

vocabulary!(
    /// What a signed-in person may do: read, also write reports, or also
    /// manage people and tokens.
    Role { Reader => "reader" as "Reader", Writer => "writer" as "Writer", Admin => "admin" as "Admin" }
);

vocabulary!(
    /// What an API token may do: read only, or also write.
    Scope { Read => "read" as "Read", Write => "write" as "Write" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_choices_read_as_a_list() {
        for category in FactorCategory::ALL {
            assert_eq!(FactorCategory::parse(category.as_str()), Some(*category));
        }
        assert_eq!(Status::choices(), "draft, in_review or published");
        assert_eq!(Severity::parse("sev5"), None);
        assert_eq!(Detection::CustomerReport.label(), "Customer report");
    }
}

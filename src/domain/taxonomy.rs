//! The closed vocabularies of a report: status, severity, detection, event
//! kinds, factor categories, action states and link kinds. Each is stored and
//! sent as its snake_case name.

/// Declares a string-valued enum with `ALL`, `as_str`, `parse` and serde
/// support, so each vocabulary is written down exactly once.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
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
    };
}

vocabulary!(
    /// Where a report is in its life.
    Status { Draft => "draft", InReview => "in_review", Published => "published" }
);
vocabulary!(
    /// How bad it was; sev1 is the worst.
    Severity { Sev1 => "sev1", Sev2 => "sev2", Sev3 => "sev3", Sev4 => "sev4" }
);
vocabulary!(
    /// How the incident came to the responders' attention.
    Detection {
        Monitoring => "monitoring",
        CustomerReport => "customer_report",
        Internal => "internal",
        ThirdParty => "third_party",
        Unknown => "unknown",
    }
);
vocabulary!(
    /// What a timeline event was.
    EventKind {
        Trigger => "trigger",
        Detection => "detection",
        Escalation => "escalation",
        Action => "action",
        Mitigation => "mitigation",
        Resolution => "resolution",
        Communication => "communication",
        Note => "note",
    }
);
vocabulary!(
    /// The taxonomy of contributing factors; each has its own page.
    FactorCategory {
        Change => "change",
        Configuration => "configuration",
        SoftwareDefect => "software_defect",
        Dependency => "dependency",
        Capacity => "capacity",
        Hardware => "hardware",
        MonitoringGap => "monitoring_gap",
        Process => "process",
        Security => "security",
        DataLoss => "data_loss",
    }
);
vocabulary!(
    /// Where a remediation stands.
    ActionStatus { Open => "open", InProgress => "in_progress", Done => "done", WontDo => "wont_do" }
);
vocabulary!(
    /// How urgent a remediation is.
    Priority { Low => "low", Medium => "medium", High => "high", Critical => "critical" }
);
vocabulary!(
    /// How two incidents are linked.
    RelationKind { Related => "related", RecurrenceOf => "recurrence_of", CausedBy => "caused_by" }
);

vocabulary!(
    /// What a signed-in person may do: read, also write reports, or also
    /// manage people and tokens.
    Role { Reader => "reader", Writer => "writer", Admin => "admin" }
);

vocabulary!(
    /// What an API token may do: read only, or also write.
    Scope { Read => "read", Write => "write" }
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
    }
}

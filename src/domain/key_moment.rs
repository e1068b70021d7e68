//! The four key moments of an incident, named once: every layer that
//! handles them (validation, the form, the columns, the index, the pages)
//! walks `KeyMoment::ALL` rather than writing the four out again.

/// A key moment, in the order they must run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyMoment {
    Started,
    Detected,
    Mitigated,
    Resolved,
}

impl KeyMoment {
    pub const ALL: [KeyMoment; 4] =
        [KeyMoment::Started, KeyMoment::Detected, KeyMoment::Mitigated, KeyMoment::Resolved];

    /// The short name, which also begins its columns: `started`.
    pub fn name(self) -> &'static str {
        match self {
            KeyMoment::Started => "started",
            KeyMoment::Detected => "detected",
            KeyMoment::Mitigated => "mitigated",
            KeyMoment::Resolved => "resolved",
        }
    }

    /// The field's name in the API, the form and validation messages:
    /// `started_at`.
    pub fn field(self) -> &'static str {
        match self {
            KeyMoment::Started => "started_at",
            KeyMoment::Detected => "detected_at",
            KeyMoment::Mitigated => "mitigated_at",
            KeyMoment::Resolved => "resolved_at",
        }
    }

    /// The name people read: "Impact started".
    pub fn label(self) -> &'static str {
        match self {
            KeyMoment::Started => "Impact started",
            KeyMoment::Detected => "Detected",
            KeyMoment::Mitigated => "Mitigated",
            KeyMoment::Resolved => "Resolved",
        }
    }
}

/// A value for each key moment, in order: `fields.started_at` and its three
/// siblings, read or written through one accessor.
pub trait EachMoment {
    type Value;

    fn moment(&self, moment: KeyMoment) -> &Self::Value;
    fn moment_mut(&mut self, moment: KeyMoment) -> &mut Self::Value;

    /// The four, in order, each with its moment.
    fn moments(&self) -> impl Iterator<Item = (KeyMoment, &Self::Value)> {
        KeyMoment::ALL.into_iter().map(move |moment| (moment, self.moment(moment)))
    }
}

/// Implements `EachMoment` for a struct with the four `*_at` fields.
macro_rules! each_moment {
    ($owner:ty, $value:ty) => {
        impl $crate::domain::key_moment::EachMoment for $owner {
            type Value = $value;

            fn moment(&self, moment: $crate::domain::KeyMoment) -> &$value {
                use $crate::domain::KeyMoment::*;
                match moment {
                    Started => &self.started_at,
                    Detected => &self.detected_at,
                    Mitigated => &self.mitigated_at,
                    Resolved => &self.resolved_at,
                }
            }

            fn moment_mut(&mut self, moment: $crate::domain::KeyMoment) -> &mut $value {
                use $crate::domain::KeyMoment::*;
                match moment {
                    Started => &mut self.started_at,
                    Detected => &mut self.detected_at,
                    Mitigated => &mut self.mitigated_at,
                    Resolved => &mut self.resolved_at,
                }
            }
        }
    };
}
pub(crate) use each_moment;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_moment_names_its_field_after_its_short_name() {
        for moment in KeyMoment::ALL {
            assert_eq!(moment.field(), format!("{}_at", moment.name()));
        }
    }
}

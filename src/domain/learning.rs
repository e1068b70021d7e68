//! The three "lessons learned" sections of the Google SRE postmortem
//! template, as optional Markdown fields of their own, named once: the
//! form, the report page, the diff and the index walk `Learning::ALL`.

/// One section of lessons learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learning {
    WentWell,
    WentWrong,
    GotLucky,
}

impl Learning {
    pub const ALL: [Learning; 3] = [Learning::WentWell, Learning::WentWrong, Learning::GotLucky];

    /// The field's name in the API, the form, the columns and messages.
    pub fn field(self) -> &'static str {
        match self {
            Learning::WentWell => "went_well",
            Learning::WentWrong => "went_wrong",
            Learning::GotLucky => "got_lucky",
        }
    }

    /// The heading people read.
    pub fn label(self) -> &'static str {
        match self {
            Learning::WentWell => "What went well",
            Learning::WentWrong => "What went wrong",
            Learning::GotLucky => "Where we got lucky",
        }
    }

    /// What the form asks for under the heading.
    pub fn prompt(self) -> &'static str {
        match self {
            Learning::WentWell => "what helped: alerts that fired, runbooks that worked, people who knew",
            Learning::WentWrong => "what made it worse or slower to fix",
            Learning::GotLucky => "what kept it from being worse, by chance rather than design",
        }
    }
}

/// A value for each learning: `fields.went_well` and its two siblings,
/// through one accessor.
pub trait EachLearning {
    fn learning(&self, learning: Learning) -> &String;
    fn learning_mut(&mut self, learning: Learning) -> &mut String;

    /// The three, in order, each with its section.
    fn learnings(&self) -> impl Iterator<Item = (Learning, &String)> {
        Learning::ALL.into_iter().map(move |learning| (learning, self.learning(learning)))
    }
}

/// Implements `EachLearning` for a struct with the three text fields.
macro_rules! each_learning {
    ($owner:ty) => {
        impl $crate::domain::learning::EachLearning for $owner {
            fn learning(&self, learning: $crate::domain::learning::Learning) -> &String {
                use $crate::domain::learning::Learning::*;
                match learning {
                    WentWell => &self.went_well,
                    WentWrong => &self.went_wrong,
                    GotLucky => &self.got_lucky,
                }
            }

            fn learning_mut(&mut self, learning: $crate::domain::learning::Learning) -> &mut String {
                use $crate::domain::learning::Learning::*;
                match learning {
                    WentWell => &mut self.went_well,
                    WentWrong => &mut self.went_wrong,
                    GotLucky => &mut self.got_lucky,
                }
            }
        }
    };
}
pub(crate) use each_learning;

//! The review workflow: a report is drafted, submitted for review, then
//! published; a reviewer may send it back, and a published report may be
//! taken back to draft. Each step is recorded with who took it and when.

use super::taxonomy::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Submit,
    Publish,
    ReturnToDraft,
    Unpublish,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Submit, Step::Publish, Step::ReturnToDraft, Step::Unpublish];

    /// The value of the form button that asks for this step.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Publish => "publish",
            Step::ReturnToDraft => "return",
            Step::Unpublish => "unpublish",
        }
    }

    pub fn parse(text: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == text)
    }

    pub fn from(self) -> Status {
        match self {
            Step::Submit => Status::Draft,
            Step::Publish | Step::ReturnToDraft => Status::InReview,
            Step::Unpublish => Status::Published,
        }
    }

    pub fn to(self) -> Status {
        match self {
            Step::Submit => Status::InReview,
            Step::Publish => Status::Published,
            Step::ReturnToDraft | Step::Unpublish => Status::Draft,
        }
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            Step::Submit => "Save and submit for review",
            Step::Publish => "Save and publish",
            Step::ReturnToDraft => "Send back to draft",
            Step::Unpublish => "Unpublish (back to draft)",
        }
    }

    /// The revision note when the writer gives none.
    pub fn note(self) -> &'static str {
        match self {
            Step::Submit => "submitted for review",
            Step::Publish => "published",
            Step::ReturnToDraft => "sent back to draft",
            Step::Unpublish => "unpublished",
        }
    }

    /// The steps a report in `status` may take next.
    pub fn available(status: Status) -> Vec<Step> {
        Step::ALL.into_iter().filter(|step| step.from() == status).collect()
    }

    /// Whether a report in `status` may take this step, and why not.
    pub fn check(self, status: Status) -> Result<(), String> {
        if self.from() == status {
            Ok(())
        } else {
            Err(format!(
                "a report that is {} cannot be {}: it must be {} first",
                status_words(status),
                self.note(),
                status_words(self.from())
            ))
        }
    }
}

/// "Draft", "In review", "Published".
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Draft => "Draft",
        Status::InReview => "In review",
        Status::Published => "Published",
    }
}

/// "a draft", "in review", "published".
pub fn status_words(status: Status) -> &'static str {
    match status {
        Status::Draft => "a draft",
        Status::InReview => "in review",
        Status::Published => "published",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_move_draft_to_review_to_published() {
        assert_eq!(Step::available(Status::Draft), [Step::Submit]);
        assert_eq!(Step::available(Status::InReview), [Step::Publish, Step::ReturnToDraft]);
        assert_eq!(Step::available(Status::Published), [Step::Unpublish]);
        assert!(Step::Publish.check(Status::Draft).unwrap_err().contains("in review first"));
        assert!(Step::Submit.check(Status::Draft).is_ok());
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
    }
}

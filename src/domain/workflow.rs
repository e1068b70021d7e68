//! The review workflow: a report is drafted, submitted for review, then
//! published; a reviewer may send it back, and a published report may be
//! taken back to draft. Each step is recorded with who took it and when.
//! The steps below are the ways a status changes by hand: the form offers
//! them as buttons, and the API checks a status it is sent with `move_to`.
//! One more move is the history's: restoring an old revision onto a
//! published report takes it back to review, as that text was not reviewed
//! in its place (`web/history.rs`).

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

/// Who may take the step that publishes a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Publisher {
    /// Any writer, the author included.
    #[default]
    Anyone,
    /// A writer other than the one who created the report: a second pair
    /// of eyes before a report goes out.
    NotTheAuthor,
}

impl Publisher {
    pub fn parse(text: &str) -> Option<Publisher> {
        match text {
            "anyone" => Some(Publisher::Anyone),
            "not-author" => Some(Publisher::NotTheAuthor),
            _ => None,
        }
    }

    /// Whether `actor` may publish a report that `author` created.
    pub fn may_publish(self, author: &str, actor: &str) -> Result<(), String> {
        match self {
            Publisher::NotTheAuthor if author == actor => {
                Err("here a report is published by someone other than its author: ask another writer to review and \
                 publish it"
                    .into())
            }
            _ => Ok(()),
        }
    }
}

/// A status change the workflow has no step for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct OutOfOrder {
    /// Where the report is; `None` for a report not yet filed.
    pub from: Option<Status>,
    pub to: Status,
    /// The statuses it may move to from here.
    pub allowed: Vec<Status>,
}

impl OutOfOrder {
    fn message(&self) -> String {
        let allowed: Vec<&str> = self.allowed.iter().map(|status| status.as_str()).collect();
        let (is, may) = match self.from {
            None => ("a new report".to_string(), "start as"),
            Some(from) => (format!("a report that is {}", status_words(from)), "move to"),
        };
        format!(
            "{is} cannot become {} in one step: it may {may} {}; a report is published only after review",
            self.to.as_str(),
            allowed.join(" or ")
        )
    }
}

/// Checks a status change sent as a value (the API, an import of a new
/// draft): `from` is the report's status, `None` when it is being filed. A
/// new report starts as a draft or goes straight to review; an existing one
/// stays where it is or takes one step. Returns the step taken, if any.
pub fn move_to(from: Option<Status>, to: Status) -> Result<Option<Step>, OutOfOrder> {
    let start = from.unwrap_or(Status::Draft);
    if start == to {
        return Ok(None);
    }
    if let Some(step) = Step::ALL.into_iter().find(|step| step.from() == start && step.to() == to) {
        return Ok(Some(step));
    }
    let mut allowed = vec![start];
    allowed.extend(Step::available(start).into_iter().map(Step::to));
    Err(OutOfOrder { from, to, allowed })
}

/// Restoring an old revision onto a report now in `current`: the status it
/// takes and the revision's note. Restored text onto a published report has
/// not been reviewed in its place, so the report goes back to review, to be
/// published again by a reviewer; elsewhere it keeps its place.
pub fn restored(current: Status, version: i64) -> (Status, String) {
    match current {
        Status::Published => (Status::InReview, format!("restored version {version}; back to review")),
        other => (other, format!("restored version {version}")),
    }
}

/// Why an old revision cannot be restored: it fails checks added since.
pub fn no_longer_valid(version: i64, errors: &super::ValidationErrors) -> String {
    format!("version {version} no longer passes today's checks, so it cannot be restored as it is: {errors}")
}

/// What a write was to readers outside, as webhooks announce it: a report
/// came out, changed while out, was taken back, or was deleted while out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announcement {
    Published,
    Updated,
    Unpublished,
    Deleted,
}

impl Announcement {
    pub const ALL: [Announcement; 4] =
        [Announcement::Published, Announcement::Updated, Announcement::Unpublished, Announcement::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Announcement::Published => "incident.published",
            Announcement::Updated => "incident.updated",
            Announcement::Unpublished => "incident.unpublished",
            Announcement::Deleted => "incident.deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Announcement> {
        Announcement::ALL.into_iter().find(|event| event.as_str() == text)
    }

    /// The announcement of a write that moved a report from `before` to
    /// `after` (`None`: not there; a new report, or a deleted one).
    /// Drafts and reports in review are nobody's business outside.
    pub fn of(before: Option<Status>, after: Option<Status>) -> Option<Announcement> {
        let published = |status: Option<Status>| status == Some(Status::Published);
        match (published(before), published(after), after) {
            (false, true, _) => Some(Announcement::Published),
            (true, true, _) => Some(Announcement::Updated),
            (true, false, Some(_)) => Some(Announcement::Unpublished),
            (true, false, None) => Some(Announcement::Deleted),
            (false, false, _) => None,
        }
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

    #[test]
    fn who_may_publish_is_a_setting() {
        assert_eq!(Publisher::parse("not-author"), Some(Publisher::NotTheAuthor));
        assert!(Publisher::Anyone.may_publish("ann", "ann").is_ok());
        assert!(Publisher::NotTheAuthor
            .may_publish("ann", "ann")
            .unwrap_err()
            .contains("someone other than its author"));
        assert!(Publisher::NotTheAuthor.may_publish("ann", "bob").is_ok());
    }

    #[test]
    fn a_status_sent_as_a_value_takes_one_step_at_most() {
        assert_eq!(move_to(None, Status::Draft), Ok(None));
        assert_eq!(move_to(None, Status::InReview), Ok(Some(Step::Submit)));
        let skipped = move_to(None, Status::Published).unwrap_err();
        assert_eq!(skipped.allowed, [Status::Draft, Status::InReview]);
        assert!(skipped.to_string().contains("may start as draft or in_review"), "{skipped}");
        assert_eq!(move_to(Some(Status::InReview), Status::Published), Ok(Some(Step::Publish)));
        assert_eq!(move_to(Some(Status::Published), Status::Draft), Ok(Some(Step::Unpublish)));
        assert_eq!(move_to(Some(Status::Published), Status::Published), Ok(None));
        let unreviewed = move_to(Some(Status::Draft), Status::Published).unwrap_err();
        assert_eq!(unreviewed.allowed, [Status::Draft, Status::InReview]);
        assert_eq!(
            move_to(Some(Status::Published), Status::InReview).unwrap_err().allowed,
            [Status::Published, Status::Draft]
        );
    }
}

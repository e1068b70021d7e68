//! How times and spans read on a page: "2 h 43 min", "about 12 min",
//! "Mon 20 May 2013", "11:40".

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::domain::{Elapsed, Precision, ReportedTime};

const CLOCK: &[BorrowedFormatItem<'static>] = format_description!("[hour]:[minute]");
const DAY: &[BorrowedFormatItem<'static>] =
    format_description!("[weekday repr:short] [day padding:none] [month repr:short] [year]");
const DATE: &[BorrowedFormatItem<'static>] = format_description!("[day padding:none] [month repr:short] [year]");

/// A span in the largest two units that matter: "45 s", "12 min",
/// "2 h 43 min", "3 d 4 h".
pub fn span(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// A derived duration as a reader sees it: "12 min", or "about 3 h" when
/// either end is approximate.
pub fn elapsed(elapsed: &Elapsed) -> String {
    if elapsed.approximate {
        format!("about {}", span(elapsed.seconds))
    } else {
        span(elapsed.seconds)
    }
}

pub fn clock(at: OffsetDateTime) -> String {
    at.format(CLOCK).unwrap_or_default()
}

pub fn day(at: OffsetDateTime) -> String {
    at.format(DAY).unwrap_or_default()
}

pub fn date(at: OffsetDateTime) -> String {
    at.format(DATE).unwrap_or_default()
}

/// When something was done here, in UTC: "20 May 2013 18:30 UTC".
pub fn date_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {} UTC", date(at), clock(at))
}

/// A reported time in its own zone, as precisely as it is known:
/// "11:40 PDT", "about 11:00 PDT", "20 May 2013", "time unknown".
pub fn reported(time: &ReportedTime) -> String {
    match time.precision {
        Precision::Minute => format!("{} {} {}", date(time.at), clock(time.at), time.zone),
        Precision::Hour => format!("{} about {} {}", date(time.at), clock(time.at), time.zone),
        Precision::Day => date(time.at),
        Precision::Unknown => "time unknown".to_string(),
    }
}

/// `at` moved to `offset`, for showing every event in the incident's zone.
pub fn in_offset(at: OffsetDateTime, offset: UtcOffset) -> OffsetDateTime {
    at.to_offset(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_two_units() {
        assert_eq!(span(45), "45 s");
        assert_eq!(span(720), "12 min");
        assert_eq!(span(7_200), "2 h");
        assert_eq!(span(9_780), "2 h 43 min");
        assert_eq!(span(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
        assert_eq!(span(86_400), "1 d");
        assert_eq!(elapsed(&Elapsed { seconds: 10_800, approximate: true }), "about 3 h");
    }

    #[test]
    fn reported_times_show_their_precision() {
        let parse = |at: &str, zone: &str, precision: &str| {
            ReportedTime::parse(&crate::domain::ReportedTimeInput {
                at: Some(at.into()),
                zone: Some(zone.into()),
                precision: Some(precision.into()),
            })
            .unwrap()
        };
        assert_eq!(reported(&parse("2013-05-20T11:40:00-07:00", "PDT", "minute")), "20 May 2013 11:40 PDT");
        assert_eq!(reported(&parse("2013-05-20T11:00:00-07:00", "PDT", "hour")), "20 May 2013 about 11:00 PDT");
        assert_eq!(reported(&parse("2013-05-20", "UTC", "day")), "20 May 2013");
        assert_eq!(reported(&parse("2013-05-20T11:40:00Z", "UTC", "unknown")), "time unknown");
    }
}

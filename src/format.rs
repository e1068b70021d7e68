//! How times and spans read on a page: "2 h 43 min", "about 12 min",
//! "Mon 20 May 2013", "11:40 PDT". Reported times are shown in the report's
//! home zone with the abbreviation in force on their date.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use time::OffsetDateTime;

use crate::domain::zones::abbreviation_at;
use crate::domain::{Elapsed, Measured, Precision, ReportedTime};

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
        // Seconds mean nothing beside an approximate end.
        let minutes = (elapsed.seconds + 30) / 60 * 60;
        format!("about {}", if minutes == 0 { "0 min".to_string() } else { span(minutes) })
    } else {
        span(elapsed.seconds)
    }
}

/// A headline duration, or why it is unknown.
pub fn measured(measured: &Measured) -> Result<String, String> {
    match measured {
        Measured::Known(known) => Ok(elapsed(known)),
        Measured::Unknown(reason) => Err(reason.clone()),
    }
}

pub fn clock(at: DateTime) -> String {
    at.strftime("%H:%M").to_string()
}

/// "Mon 20 May 2013".
pub fn day(date: Date) -> String {
    date.strftime("%a %-d %b %Y").to_string()
}

/// "20 May 2013".
pub fn calendar_date(date: Date) -> String {
    date.strftime("%-d %b %Y").to_string()
}

/// "May 2013".
pub fn month(date: Date) -> String {
    date.strftime("%B %Y").to_string()
}

fn civil(at: OffsetDateTime) -> Date {
    Date::new(at.year() as i16, at.month() as i8, at.day() as i8).unwrap_or_default()
}

/// The day something was done here, in UTC: "20 May 2013".
pub fn date(at: OffsetDateTime) -> String {
    calendar_date(civil(at.to_offset(time::UtcOffset::UTC)))
}

/// When something was done here, in UTC: "20 May 2013 18:30 UTC".
pub fn date_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", date(at), at.hour(), at.minute())
}

/// A reported time in the home zone, as precisely as it is known:
/// "20 May 2013 11:40 PDT", "25 Jan 2023 about 09:30 UTC", "20 May 2013",
/// "about February 2013", "time unknown".
pub fn reported(time: &ReportedTime, home: &TimeZone) -> String {
    let about = if time.approximate { "about " } else { "" };
    match time.precision {
        Precision::Minute | Precision::Hour => {
            let local = time.in_zone(home);
            let about = if time.precision == Precision::Hour { "about " } else { about };
            format!("{} {about}{} {}", calendar_date(local.date()), clock(local), abbreviation_at(home, time.at))
        }
        Precision::Day => format!("{about}{}", calendar_date(time.local().date())),
        Precision::Month => format!("{about}{}", month(time.local().date())),
        Precision::Unknown => "time unknown".to_string(),
    }
}

/// The day a reported time falls on in the home zone: "20 May 2013",
/// "May 2013" for a month.
pub fn reported_date(time: &ReportedTime, home: &TimeZone) -> String {
    match time.precision {
        Precision::Minute | Precision::Hour => calendar_date(time.in_zone(home).date()),
        Precision::Month => month(time.local().date()),
        _ => calendar_date(time.local().date()),
    }
}

/// The same instant in UTC, for a time shown in another zone: "06:43 UTC",
/// with the UTC date when it is not the local one: "06:43 UTC, Tue 21 May".
pub fn utc_beside(time: &ReportedTime, home: &TimeZone) -> Option<String> {
    if !time.precision.has_clock() || home.to_offset(time.at).seconds() == 0 {
        return None;
    }
    let utc = TimeZone::UTC.to_datetime(time.at);
    let local = time.in_zone(home);
    let mut text = format!("{} UTC", clock(utc));
    if utc.date() != local.date() {
        text.push_str(&format!(", {}", utc.date().strftime("%a %-d %b")));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::zones::home_zone;

    fn time(at: &str, zone: &str, precision: &str, approximate: bool) -> ReportedTime {
        ReportedTime::parse(
            &crate::domain::ReportedTimeInput {
                at: Some(at.into()),
                zone: Some(zone.into()),
                precision: Some(precision.into()),
                approximate,
            },
            None,
        )
        .unwrap()
    }

    #[test]
    fn spans_read_in_two_units() {
        assert_eq!(span(45), "45 s");
        assert_eq!(span(720), "12 min");
        assert_eq!(span(7_200), "2 h");
        assert_eq!(span(9_780), "2 h 43 min");
        assert_eq!(span(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
        assert_eq!(span(86_400), "1 d");
        assert_eq!(elapsed(&Elapsed { seconds: 10_800, approximate: true }), "about 3 h");
        assert_eq!(elapsed(&Elapsed { seconds: 0, approximate: true }), "about 0 min");
        assert_eq!(elapsed(&Elapsed { seconds: 0, approximate: false }), "0 s");
    }

    #[test]
    fn reported_times_show_the_abbreviation_in_force_in_the_home_zone() {
        let la = home_zone("America/Los_Angeles");
        assert_eq!(reported(&time("2013-03-08T20:00:00Z", "UTC", "minute", false), &la), "8 Mar 2013 12:00 PST");
        assert_eq!(reported(&time("2013-03-11T13:00:00-08:00", "PST", "minute", false), &la), "11 Mar 2013 14:00 PDT");
        assert_eq!(
            reported(&time("2013-05-20T11:00:00-07:00", "PDT", "hour", false), &la),
            "20 May 2013 about 11:00 PDT"
        );
        assert_eq!(
            reported(&time("2023-01-25T09:30:00Z", "UTC", "minute", true), &home_zone("UTC")),
            "25 Jan 2023 about 09:30 UTC"
        );
        assert_eq!(reported(&time("2013-05-20", "UTC", "day", false), &la), "20 May 2013");
        assert_eq!(reported(&time("2013-02", "UTC", "month", true), &la), "about February 2013");
        assert_eq!(reported(&time("2013-05-20T11:40:00Z", "UTC", "unknown", false), &la), "time unknown");
    }

    #[test]
    fn utc_is_shown_beside_with_its_date_when_that_differs() {
        let la = home_zone("America/Los_Angeles");
        let late = time("2013-05-20T23:43:00-07:00", "PDT", "minute", false);
        assert_eq!(utc_beside(&late, &la).as_deref(), Some("06:43 UTC, Tue 21 May"));
        let noon = time("2013-05-20T12:00:00-07:00", "PDT", "minute", false);
        assert_eq!(utc_beside(&noon, &la).as_deref(), Some("19:00 UTC"));
        assert_eq!(utc_beside(&noon, &home_zone("UTC")), None);
        assert_eq!(utc_beside(&time("2013-05-20", "UTC", "day", false), &la), None);
    }
}

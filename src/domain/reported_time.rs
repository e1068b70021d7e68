//! A time as a report gave it: the instant, the offset and zone label it was
//! reported in ("11:40 PDT"), and how precise it is. Sorting and arithmetic use
//! the instant; pages and exports show the time as it was reported.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};

/// How precisely a reported time is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Minute,
    Hour,
    Day,
    Unknown,
}

impl Precision {
    pub const ALL: [Precision; 4] = [Self::Minute, Self::Hour, Self::Day, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The width of the window a time of this precision may fall in, in
    /// seconds; `None` when nothing is known.
    pub fn granularity_seconds(self) -> Option<i64> {
        match self {
            Self::Minute => Some(60),
            Self::Hour => Some(3_600),
            Self::Day => Some(86_400),
            Self::Unknown => None,
        }
    }
}

/// A validated reported time. The instant carries the offset it was reported in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedTime {
    pub at: OffsetDateTime,
    pub zone: String,
    pub precision: Precision,
}

/// The JSON and front-matter shape of a reported time, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportedTimeInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
}

const MAX_ZONE_LEN: usize = 64;

impl ReportedTime {
    /// Parses `at` as RFC 3339 (precision `minute` unless told) or as a bare
    /// date `YYYY-MM-DD` (precision `day`, midnight UTC). A missing zone label
    /// is derived from the offset.
    pub fn parse(input: &ReportedTimeInput) -> Result<Self, String> {
        let raw = input.at.as_deref().map(str::trim).unwrap_or_default();
        if raw.is_empty() {
            return Err("a time needs `at`, an RFC 3339 timestamp such as 2013-05-20T11:40:00-07:00".into());
        }
        let (at, implied) = match OffsetDateTime::parse(raw, &Rfc3339) {
            Ok(at) => (at, Precision::Minute),
            Err(_) => match Date::parse(raw, time::macros::format_description!("[year]-[month]-[day]")) {
                Ok(date) => (date.midnight().assume_utc(), Precision::Day),
                Err(_) => {
                    return Err(format!(
                        "`{}` is not an RFC 3339 timestamp such as 2013-05-20T11:40:00-07:00, nor a date such as 2013-05-20",
                        truncate_for_message(raw)
                    ))
                }
            },
        };
        let precision = match input.precision.as_deref() {
            None | Some("") => implied,
            Some(text) => Precision::parse(text).ok_or_else(|| {
                format!("precision must be one of minute, hour, day, unknown, not `{}`", truncate_for_message(text))
            })?,
        };
        let zone = match input.zone.as_deref().map(str::trim) {
            None | Some("") => zone_label_for(at.offset()),
            Some(zone) if zone.chars().count() > MAX_ZONE_LEN => {
                return Err(format!("zone must be at most {MAX_ZONE_LEN} characters"))
            }
            Some(zone) if zone.chars().any(char::is_control) => {
                return Err("zone must not contain control characters".into())
            }
            Some(zone) => zone.to_string(),
        };
        Ok(Self { at, zone, precision })
    }

    /// Rebuilds a time from its stored columns.
    pub fn from_parts(unix_seconds: i64, offset_seconds: i64, zone: String, precision: &str) -> Option<Self> {
        let offset = UtcOffset::from_whole_seconds(i32::try_from(offset_seconds).ok()?).ok()?;
        let at = OffsetDateTime::from_unix_timestamp(unix_seconds).ok()?.to_offset(offset);
        Some(Self { at, zone, precision: Precision::parse(precision)? })
    }

    pub fn unix_seconds(&self) -> i64 {
        self.at.unix_timestamp()
    }

    pub fn offset_seconds(&self) -> i64 {
        i64::from(self.at.offset().whole_seconds())
    }

    /// RFC 3339 in the offset the time was reported in.
    pub fn at_rfc3339(&self) -> String {
        format_rfc3339(self.at)
    }

    pub fn to_input(&self) -> ReportedTimeInput {
        ReportedTimeInput {
            at: Some(self.at_rfc3339()),
            zone: Some(self.zone.clone()),
            precision: Some(self.precision.as_str().to_string()),
        }
    }
}

impl Serialize for ReportedTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_input().serialize(serializer)
    }
}

/// "UTC" for a zero offset, otherwise "UTC-07:00".
pub fn zone_label_for(offset: UtcOffset) -> String {
    if offset.is_utc() {
        return "UTC".to_string();
    }
    let (hours, minutes, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", hours.unsigned_abs(), minutes.unsigned_abs())
}

/// The current time in whole seconds, the resolution everything is stored in.
pub fn now_to_the_second() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// RFC 3339 with whole seconds, keeping the value's offset.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

pub(crate) fn truncate_for_message(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() <= LIMIT {
        text.to_string()
    } else {
        let cut: String = text.chars().take(LIMIT).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(at: &str, zone: Option<&str>, precision: Option<&str>) -> ReportedTimeInput {
        ReportedTimeInput { at: Some(at.into()), zone: zone.map(Into::into), precision: precision.map(Into::into) }
    }

    #[test]
    fn a_pdt_time_keeps_its_offset_and_label() {
        let time = ReportedTime::parse(&input("2013-05-20T11:40:00-07:00", Some("PDT"), None)).unwrap();
        assert_eq!(time.at_rfc3339(), "2013-05-20T11:40:00-07:00");
        assert_eq!(time.zone, "PDT");
        assert_eq!(time.precision, Precision::Minute);
        assert_eq!(time.offset_seconds(), -7 * 3600);
        assert_eq!(time.unix_seconds(), 1_369_075_200);
    }

    #[test]
    fn a_missing_zone_is_derived_from_the_offset() {
        let utc = ReportedTime::parse(&input("2019-07-09T22:50:00Z", None, None)).unwrap();
        assert_eq!(utc.zone, "UTC");
        let pdt = ReportedTime::parse(&input("2013-05-20T11:40:00-07:00", None, None)).unwrap();
        assert_eq!(pdt.zone, "UTC-07:00");
        let ist = ReportedTime::parse(&input("2020-01-01T10:00:00+05:30", None, None)).unwrap();
        assert_eq!(ist.zone, "UTC+05:30");
    }

    #[test]
    fn a_bare_date_has_day_precision() {
        let time = ReportedTime::parse(&input("2013-03-08", None, None)).unwrap();
        assert_eq!(time.precision, Precision::Day);
        assert_eq!(time.at_rfc3339(), "2013-03-08T00:00:00Z");
    }

    #[test]
    fn stored_parts_round_trip() {
        let time = ReportedTime::parse(&input("2014-07-02T07:30:00+00:00", Some("GMT"), Some("hour"))).unwrap();
        let back =
            ReportedTime::from_parts(time.unix_seconds(), time.offset_seconds(), time.zone.clone(), "hour").unwrap();
        assert_eq!(back, time);
    }

    #[test]
    fn bad_input_says_what_is_expected() {
        let error = ReportedTime::parse(&input("yesterday at noon", None, None)).unwrap_err();
        assert!(error.contains("RFC 3339"), "{error}");
        let error = ReportedTime::parse(&input("2013-05-20T11:40:00Z", None, Some("second"))).unwrap_err();
        assert!(error.contains("precision"), "{error}");
        assert!(ReportedTime::parse(&ReportedTimeInput::default()).is_err());
    }
}

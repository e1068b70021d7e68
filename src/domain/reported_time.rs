//! A time as a report gave it: the instant, the offset and zone it was
//! reported in ("11:40 PDT", "13:00 America/Los_Angeles"), how precise it
//! is, and whether it was approximate ("about 09:30"). Sorting and
//! arithmetic use the instant; pages show it in the report's home zone with
//! the abbreviation in force on that date.

use jiff::civil::{Date, DateTime};
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::zones::{self, offset_label, offset_text, ZoneSpec};

/// How precisely a reported time is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Minute,
    Hour,
    Day,
    Month,
    Unknown,
}

impl Precision {
    pub const ALL: [Precision; 5] = [Self::Minute, Self::Hour, Self::Day, Self::Month, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Month => "month",
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
            Self::Month => Some(31 * 86_400),
            Self::Unknown => None,
        }
    }

    /// Known to the hour or better: good enough to measure a duration by.
    pub fn has_clock(self) -> bool {
        matches!(self, Self::Minute | Self::Hour)
    }
}

/// A validated reported time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedTime {
    pub at: Timestamp,
    /// The offset the time was reported in, in force at `at`.
    pub offset: Offset,
    /// The zone as the report named it: an IANA name, an abbreviation, or
    /// a label such as `UTC-07:00`.
    pub zone: String,
    pub precision: Precision,
    /// "about 09:30": the writer gave the time as an estimate.
    pub approximate: bool,
}

/// The JSON and front-matter shape of a reported time, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportedTimeInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

const MAX_ZONE_LEN: usize = 64;
const EXAMPLE: &str =
    "an RFC 3339 timestamp such as 2013-05-20T11:40:00-07:00, a date such as 2013-05-20, or a month such as 2013-05";

impl ReportedTime {
    /// Parses `at` as RFC 3339, as a date (`day`) or as a month (`month`).
    /// A time without an offset is read in its `zone`, or the report's
    /// `home` zone; a zone that contradicts the offset is refused, and so is
    /// any reading that would need a guess: a client says what it means.
    pub fn parse(input: &ReportedTimeInput, home: Option<&TimeZone>) -> Result<Self, String> {
        let raw = input.at.as_deref().map(str::trim).unwrap_or_default();
        if raw.is_empty() {
            return Err(format!("a time needs `at`, {EXAMPLE}"));
        }
        if raw.len() > 100 {
            return Err(format!("`at` is too long: it must be {EXAMPLE}"));
        }
        let zone_text = match input.zone.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
            Some(zone) if zone.chars().count() > MAX_ZONE_LEN => {
                return Err(format!("zone must be at most {MAX_ZONE_LEN} characters"))
            }
            Some(zone) if zone.chars().any(char::is_control) => {
                return Err("zone must not contain control characters".into())
            }
            other => other,
        };
        let spec = zone_text.and_then(zones::parse_zone);
        let precision = match input.precision.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(Precision::parse(text).ok_or_else(|| {
                format!(
                    "precision must be one of minute, hour, day, month, unknown, not `{}`",
                    truncate_for_message(text)
                )
            })?),
        };
        let not_a_time = || format!("`{}` is not {EXAMPLE}", truncate_for_message(raw));
        let unknown_zone = |zone: &str| {
            format!(
                "`{}` is not a zone we know: send an IANA name such as America/Los_Angeles, an abbreviation such \
                 as PDT, or the offset in `at`",
                truncate_for_message(zone)
            )
        };
        // Without an offset, the zone decides the instant, so it must be one
        // we know; the report's home zone serves when none is sent.
        let reading_zone = || -> Result<Option<ZoneSpec>, String> {
            match (&spec, zone_text) {
                (Some(spec), _) => Ok(Some(spec.clone())),
                (None, Some(zone)) => Err(unknown_zone(zone)),
                (None, _) => Ok(home.map(|home| ZoneSpec::Named {
                    zone: home.clone(),
                    name: home.iana_name().unwrap_or("UTC").to_string(),
                })),
            }
        };
        let resolve = |spec: &ZoneSpec, civil: DateTime| -> Result<(Offset, DateTime, String), String> {
            let resolved = spec.resolve(civil, home);
            match resolved.note {
                Some(note) => Err(format!("{note}; send `at` with its offset to say which")),
                None => Ok((resolved.offset, resolved.civil, resolved.label)),
            }
        };

        // A date or a month alone: midnight in the zone given, else in the
        // report's zone, else UTC.
        if let Some((date, implied)) = parse_calendar(raw) {
            let midnight = date.to_datetime(jiff::civil::Time::midnight());
            let (offset, civil, label) = match reading_zone()? {
                Some(spec) => resolve(&spec, midnight)?,
                None => (Offset::UTC, midnight, "UTC".to_string()),
            };
            let at = offset.to_timestamp(civil).map_err(|_| not_a_time())?;
            return Ok(Self {
                at,
                offset,
                zone: label,
                precision: precision.unwrap_or(implied),
                approximate: input.approximate,
            });
        }

        let pieces = Pieces::parse(raw).map_err(|_| not_a_time())?;
        let Some(clock) = pieces.time() else { return Err(not_a_time()) };
        let civil = pieces.date().to_datetime(clock);
        let written_offset = match pieces.offset() {
            Some(PiecesOffset::Zulu) => Some(Offset::UTC),
            Some(PiecesOffset::Numeric(numeric)) => Some(numeric.offset()),
            Some(_) | None => None,
        };
        let (offset, zone) = match (written_offset, &spec) {
            // A label that is not a zone we know ("Pacific time, roughly") is
            // kept beside an offset, which alone decides the instant.
            (Some(offset), None) => (offset, zone_text.map_or_else(|| offset_label(offset), str::to_string)),
            (Some(offset), Some(spec)) => (offset, label_agreeing(spec, offset, civil, home)?),
            (None, _) => match reading_zone()? {
                Some(spec) => {
                    let (offset, _, label) = resolve(&spec, civil)?;
                    (offset, label)
                }
                None => return Err(format!("`{}` has no offset: {EXAMPLE}", truncate_for_message(raw))),
            },
        };
        let at = offset.to_timestamp(civil).map_err(|_| not_a_time())?;
        let at = Timestamp::from_second(at.as_second()).map_err(|_| not_a_time())?;
        Ok(Self { at, offset, zone, precision: precision.unwrap_or(Precision::Minute), approximate: input.approximate })
    }

    /// Rebuilds a time from its stored columns.
    pub fn from_parts(
        unix_seconds: i64,
        offset_seconds: i64,
        zone: String,
        precision: &str,
        approximate: bool,
    ) -> Option<Self> {
        let offset = Offset::from_seconds(i32::try_from(offset_seconds).ok()?).ok()?;
        let at = Timestamp::from_second(unix_seconds).ok()?;
        Some(Self { at, offset, zone, precision: Precision::parse(precision)?, approximate })
    }

    pub fn unix_seconds(&self) -> i64 {
        self.at.as_second()
    }

    pub fn offset_seconds(&self) -> i64 {
        i64::from(self.offset.seconds())
    }

    /// The wall-clock time in the offset it was reported in.
    pub fn local(&self) -> DateTime {
        self.offset.to_datetime(self.at)
    }

    /// The wall-clock time in `zone`.
    pub fn in_zone(&self, zone: &TimeZone) -> DateTime {
        zone.to_offset(self.at).to_datetime(self.at)
    }

    /// RFC 3339 in the offset the time was reported in.
    pub fn at_rfc3339(&self) -> String {
        let local = self.local().strftime("%Y-%m-%dT%H:%M:%S").to_string();
        if self.offset.seconds() == 0 {
            format!("{local}Z")
        } else {
            format!("{local}{}", offset_text(self.offset))
        }
    }

    pub fn to_input(&self) -> ReportedTimeInput {
        ReportedTimeInput {
            at: Some(self.at_rfc3339()),
            zone: Some(self.zone.clone()),
            precision: Some(self.precision.as_str().to_string()),
            approximate: self.approximate,
        }
    }
}

/// A zone sent beside an offset must agree with it: an IANA zone's rules or
/// an abbreviation's meaning on that date. Returns the label to keep: for
/// an abbreviation out of season (PST with -07:00 in July), the one the
/// offset stood for (PDT).
pub(crate) fn label_agreeing(
    spec: &ZoneSpec,
    offset: Offset,
    civil: DateTime,
    home: Option<&TimeZone>,
) -> Result<String, String> {
    let disagree = |expected: Offset| {
        format!(
            "the zone says {} but the offset is {}: send one that agrees with the other",
            offset_text(expected),
            offset_text(offset)
        )
    };
    match spec {
        ZoneSpec::Named { zone, name } => {
            let at = offset.to_timestamp(civil).map_err(|e| e.to_string())?;
            let expected = zone.to_offset(at);
            if expected == offset {
                return Ok(name.clone());
            }
            Err(format!(
                "the offset {} is not {name}'s on {} ({}, {}): send the offset in force, or the zone it belongs to",
                offset_text(offset),
                civil.strftime("%-d %b %Y"),
                zones::abbreviation_at(zone, at),
                offset_text(expected)
            ))
        }
        ZoneSpec::Fixed { offset: fixed, name } if *fixed == offset => {
            Ok(name.clone().unwrap_or_else(|| offset_label(offset)))
        }
        ZoneSpec::Fixed { offset: fixed, .. } => Err(disagree(*fixed)),
        ZoneSpec::Abbreviation(abbreviation) => {
            let literal = Offset::from_seconds(abbreviation.offset_minutes * 60).unwrap_or(Offset::UTC);
            let label = if abbreviation.name == "Z" { "UTC" } else { abbreviation.name };
            if literal == offset {
                return Ok(label.to_string());
            }
            let resolved = spec.resolve(civil, home);
            if resolved.offset == offset {
                return Ok(resolved.label);
            }
            Err(disagree(literal))
        }
    }
}

/// `2013-05-20` (a day) or `2013-05` (a month).
pub fn parse_calendar(text: &str) -> Option<(Date, Precision)> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    match bytes.len() {
        10 if digits(0..4) && bytes[4] == b'-' && digits(5..7) && bytes[7] == b'-' && digits(8..10) => {
            let date = Date::new(text[0..4].parse().ok()?, text[5..7].parse().ok()?, text[8..10].parse().ok()?).ok()?;
            Some((date, Precision::Day))
        }
        7 if digits(0..4) && bytes[4] == b'-' && digits(5..7) => {
            Some((Date::new(text[0..4].parse().ok()?, text[5..7].parse().ok()?, 1).ok()?, Precision::Month))
        }
        _ => None,
    }
}

impl Serialize for ReportedTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_input().serialize(serializer)
    }
}

/// In the API's document: `at` as RFC 3339 with the offset it was reported
/// in, the zone's label, the precision, and whether it was an estimate.
impl utoipa::PartialSchema for ReportedTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{ObjectBuilder, Type};
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let at =
            text().format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)));
        ObjectBuilder::new()
            .property("at", at)
            .property("zone", text())
            .property("precision", text().enum_values(Some(Precision::ALL.map(Precision::as_str))))
            .property("approximate", ObjectBuilder::new().schema_type(Type::Boolean))
            .required("at")
            .required("zone")
            .required("precision")
            .into()
    }
}

impl utoipa::ToSchema for ReportedTime {}

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
        ReportedTimeInput {
            at: Some(at.into()),
            zone: zone.map(Into::into),
            precision: precision.map(Into::into),
            approximate: false,
        }
    }

    fn parse(at: &str, zone: Option<&str>) -> Result<ReportedTime, String> {
        ReportedTime::parse(&input(at, zone, None), None)
    }

    #[test]
    fn a_pdt_time_keeps_its_offset_and_label() {
        let time = parse("2013-05-20T11:40:00-07:00", Some("PDT")).unwrap();
        assert_eq!(time.at_rfc3339(), "2013-05-20T11:40:00-07:00");
        assert_eq!(time.zone, "PDT");
        assert_eq!(time.precision, Precision::Minute);
        assert_eq!(time.offset_seconds(), -7 * 3600);
        assert_eq!(time.unix_seconds(), 1_369_075_200);
    }

    #[test]
    fn a_missing_zone_is_derived_from_the_offset() {
        assert_eq!(parse("2019-07-09T22:50:00Z", None).unwrap().zone, "UTC");
        assert_eq!(parse("2013-05-20T11:40:00-07:00", None).unwrap().zone, "UTC-07:00");
        assert_eq!(parse("2020-01-01T10:00:00+05:30", None).unwrap().zone, "UTC+05:30");
    }

    #[test]
    fn an_iana_zone_reads_a_local_time_across_daylight_saving() {
        let before = parse("2013-03-08T12:30:00", Some("America/Los_Angeles")).unwrap();
        let after = parse("2013-03-11T13:00:00", Some("america/los_angeles")).unwrap();
        assert_eq!(before.at_rfc3339(), "2013-03-08T12:30:00-08:00");
        assert_eq!(after.at_rfc3339(), "2013-03-11T13:00:00-07:00");
        assert_eq!(after.zone, "America/Los_Angeles");
        let home = zones::home_zone("America/Los_Angeles");
        let from_home = ReportedTime::parse(&input("2013-03-11T13:00:00", None, None), Some(&home)).unwrap();
        assert_eq!(from_home, after);
    }

    #[test]
    fn a_zone_that_contradicts_the_offset_is_refused() {
        let error = parse("2013-03-11T13:00:00-08:00", Some("America/Los_Angeles")).unwrap_err();
        assert!(error.contains("PDT") && error.contains("-07:00"), "{error}");
        let error = parse("2013-05-20T11:40:00-08:00", Some("PDT")).unwrap_err();
        assert!(error.contains("-07:00"), "{error}");
        assert!(parse("2013-03-11T13:00:00-08:00", Some("PST")).is_ok(), "PST as written is -08:00");
        assert!(parse("2013-03-11T13:00:00", Some("PST")).unwrap_err().contains("read as PDT"));
        assert!(parse("2020-03-01T10:00:00+01:00", Some("Pacific time, roughly")).is_ok(), "a free label");
        assert_eq!(parse("2013-07-01T10:00:00-07:00", Some("PST")).unwrap().zone, "PDT", "relabelled as meant");
        let unknown = parse("2013-05-20T11:40:00", Some("Europe/Berln")).unwrap_err();
        assert!(unknown.contains("`Europe/Berln` is not a zone we know"), "{unknown}");
        assert!(parse("2013-07-01", Some("PST")).unwrap_err().contains("read as PDT"), "a date needs no guess either");
    }

    #[test]
    fn dates_and_months_have_their_precision() {
        let day = parse("2013-03-08", None).unwrap();
        assert_eq!((day.precision, day.at_rfc3339()), (Precision::Day, "2013-03-08T00:00:00Z".to_string()));
        let month = parse("2013-02", None).unwrap();
        assert_eq!((month.precision, month.at_rfc3339()), (Precision::Month, "2013-02-01T00:00:00Z".to_string()));
        let local_day = parse("2013-03-11", Some("America/Los_Angeles")).unwrap();
        assert_eq!(local_day.at_rfc3339(), "2013-03-11T00:00:00-07:00");
        let home = zones::home_zone("America/Los_Angeles");
        let home_day = ReportedTime::parse(&input("2013-03-11", None, None), Some(&home)).unwrap();
        assert_eq!(
            (home_day.at_rfc3339(), home_day.zone.as_str()),
            ("2013-03-11T00:00:00-07:00".into(), "America/Los_Angeles")
        );
    }

    #[test]
    fn approximate_times_say_so_and_round_trip() {
        let mut about = input("2023-01-25T09:30:00Z", Some("UTC"), None);
        about.approximate = true;
        let time = ReportedTime::parse(&about, None).unwrap();
        assert!(time.approximate);
        assert_eq!(ReportedTime::parse(&time.to_input(), None).unwrap(), time);
        let json = serde_json::to_value(&time).unwrap();
        assert_eq!(json["approximate"], true);
        let exact = parse("2023-01-25T09:30:00Z", None).unwrap();
        assert!(serde_json::to_value(&exact).unwrap().get("approximate").is_none());
    }

    #[test]
    fn stored_parts_round_trip() {
        let time = ReportedTime::parse(&input("2014-07-02T07:30:00+00:00", Some("GMT"), Some("hour")), None).unwrap();
        let back =
            ReportedTime::from_parts(time.unix_seconds(), time.offset_seconds(), time.zone.clone(), "hour", false)
                .unwrap();
        assert_eq!(back, time);
    }

    #[test]
    fn bad_input_says_what_is_expected() {
        assert!(parse("yesterday at noon", None).unwrap_err().contains("RFC 3339"));
        assert!(parse("2013-05-20T11:40:00", None).unwrap_err().contains("no offset"));
        let error = ReportedTime::parse(&input("2013-05-20T11:40:00Z", None, Some("second")), None).unwrap_err();
        assert!(error.contains("precision"), "{error}");
        assert!(ReportedTime::parse(&ReportedTimeInput::default(), None).is_err());
        assert!(parse(&"9".repeat(5_000), None).is_err());
        assert!(parse("2013-13-01", None).is_err());
    }
}

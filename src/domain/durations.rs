//! Durations derived from an incident's key moments. They are never stored:
//! they follow from the reported times. A duration is stated whenever both
//! ends are known to the hour or better, marked approximate when either end
//! is approximate or known only to the hour, and otherwise says why it
//! cannot be stated, so the headline figures agree with the times shown.

use serde::ser::SerializeMap;
use serde::Serialize;

use super::key_moment::KeyMoment;
use super::reported_time::{Precision, ReportedTime};

/// A span between two reported times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Elapsed {
    pub seconds: i64,
    /// True when either end is approximate or known only to the hour.
    pub approximate: bool,
}

/// A derived duration, or why it cannot be stated ("resolution time
/// unknown").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measured {
    Known(Elapsed),
    Unknown(String),
}

impl Measured {
    pub fn known(&self) -> Option<Elapsed> {
        match self {
            Measured::Known(elapsed) => Some(*elapsed),
            Measured::Unknown(_) => None,
        }
    }
}

impl Serialize for Measured {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            Measured::Known(elapsed) => {
                map.serialize_entry("seconds", &elapsed.seconds)?;
                map.serialize_entry("approximate", &elapsed.approximate)?;
            }
            Measured::Unknown(reason) => map.serialize_entry("unknown", reason)?,
        }
        map.end()
    }
}

/// In the API's document: `{"seconds", "approximate"}` or `{"unknown"}`.
impl utoipa::PartialSchema for Measured {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{ObjectBuilder, OneOfBuilder, Type};
        let unknown = ObjectBuilder::new()
            .property("unknown", ObjectBuilder::new().schema_type(Type::String))
            .required("unknown")
            .description(Some("Why the duration cannot be stated: \"resolution time unknown\"."));
        OneOfBuilder::new().item(<Elapsed as utoipa::PartialSchema>::schema()).item(unknown).into()
    }
}

impl utoipa::ToSchema for Measured {}

/// One end of a duration, named for the reason it may give.
#[derive(Debug, Clone, Copy)]
pub struct End<'a> {
    pub time: Option<&'a ReportedTime>,
    /// "start", "resolution".
    pub name: &'static str,
}

/// Time from `from` to `to`, when both are known to the hour or better.
pub fn measure(from: End<'_>, to: End<'_>) -> Measured {
    let known = |end: End<'_>| -> Result<(), String> {
        match end.time.map(|t| t.precision) {
            None => Err(format!("no {} time given", end.name)),
            Some(Precision::Unknown) => Err(format!("{} time unknown", end.name)),
            Some(Precision::Minute | Precision::Hour) => Ok(()),
            Some(coarse) => Err(format!("{} known only to the {}", end.name, coarse.as_str())),
        }
    };
    if let Err(reason) = known(from).and_then(|()| known(to)) {
        return Measured::Unknown(reason);
    }
    let (Some(start), Some(end)) = (from.time, to.time) else {
        return Measured::Unknown(format!("no {} time given", to.name));
    };
    let rough = |t: &ReportedTime| t.approximate || t.precision == Precision::Hour;
    let seconds = end.unix_seconds() - start.unix_seconds();
    if seconds < 0 {
        // Two ends known only to the hour may overlap; anything else runs
        // backwards, which validation refuses for key moments.
        if rough(start) || rough(end) {
            return Measured::Known(Elapsed { seconds: 0, approximate: true });
        }
        return Measured::Unknown(format!("{} is before {}", to.name, from.name));
    }
    Measured::Known(Elapsed { seconds, approximate: rough(start) || rough(end) })
}

/// The gap between two timeline rows, for "2 h 43 min later": unlike a
/// headline duration it may be read off two dates ("about 3 d later"), but
/// never off a span shorter than the uncertainty of its ends.
pub fn gap(from: &ReportedTime, to: &ReportedTime) -> Option<Elapsed> {
    let precision = from.precision.max(to.precision);
    let granularity = precision.granularity_seconds()?;
    let seconds = to.unix_seconds() - from.unix_seconds();
    if seconds < 0 {
        return None;
    }
    let approximate = precision != Precision::Minute || from.approximate || to.approximate;
    if precision > Precision::Hour && seconds < granularity {
        return None;
    }
    Some(Elapsed { seconds, approximate })
}

/// The four moments that bound an incident's phases.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyMoments<'a> {
    pub started: Option<&'a ReportedTime>,
    pub detected: Option<&'a ReportedTime>,
    pub mitigated: Option<&'a ReportedTime>,
    pub resolved: Option<&'a ReportedTime>,
}

/// The derived durations of an incident. Time to detect, mitigate and
/// resolve are measured from the start of impact; the total runs from the
/// first known moment to the last (resolution, or mitigation when no
/// resolution was reported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Durations {
    pub time_to_detect: Measured,
    pub time_to_mitigate: Measured,
    pub time_to_resolve: Measured,
    pub total: Measured,
}

impl Durations {
    /// How long after the start of impact `moment` came: `None` for the
    /// start itself.
    pub fn since_start(&self, moment: KeyMoment) -> Option<&Measured> {
        match moment {
            KeyMoment::Started => None,
            KeyMoment::Detected => Some(&self.time_to_detect),
            KeyMoment::Mitigated => Some(&self.time_to_mitigate),
            KeyMoment::Resolved => Some(&self.time_to_resolve),
        }
    }

    pub fn derive(moments: KeyMoments<'_>) -> Self {
        let start = End { time: moments.started, name: "start" };
        let detected = End { time: moments.detected, name: "detection" };
        let mitigated = End { time: moments.mitigated, name: "mitigation" };
        let resolved = End { time: moments.resolved, name: "resolution" };
        let first = if moments.started.is_none() && moments.detected.is_some() { detected } else { start };
        let last = if moments.resolved.is_some() || moments.mitigated.is_none() { resolved } else { mitigated };
        Self {
            time_to_detect: measure(start, detected),
            time_to_mitigate: measure(start, mitigated),
            time_to_resolve: measure(start, resolved),
            total: measure(first, last),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reported_time::ReportedTimeInput;

    fn at(at: &str, zone: &str, precision: &str) -> ReportedTime {
        ReportedTime::parse(
            &ReportedTimeInput {
                at: Some(at.into()),
                zone: Some(zone.into()),
                precision: Some(precision.into()),
                approximate: false,
            },
            None,
        )
        .unwrap()
    }

    fn about(mut time: ReportedTime) -> ReportedTime {
        time.approximate = true;
        time
    }

    fn known(seconds: i64, approximate: bool) -> Measured {
        Measured::Known(Elapsed { seconds, approximate })
    }

    fn between(from: &ReportedTime, to: &ReportedTime) -> Measured {
        measure(End { time: Some(from), name: "start" }, End { time: Some(to), name: "end" })
    }

    #[test]
    fn utc_times_give_exact_minutes() {
        let started = at("2019-07-09T22:50:00Z", "UTC", "minute");
        let resolved = at("2019-07-09T23:02:00Z", "UTC", "minute");
        let durations =
            Durations::derive(KeyMoments { started: Some(&started), resolved: Some(&resolved), ..Default::default() });
        assert_eq!(durations.time_to_resolve, known(720, false));
        assert_eq!(durations.total, known(720, false));
        assert_eq!(durations.time_to_detect, Measured::Unknown("no detection time given".into()));
        assert_eq!(durations.time_to_mitigate, Measured::Unknown("no mitigation time given".into()));
    }

    #[test]
    fn pdt_and_gmt_ends_are_compared_as_instants() {
        let started = at("2013-05-20T11:40:00-07:00", "PDT", "minute");
        let detected = at("2013-05-20T18:55:00Z", "UTC", "minute");
        assert_eq!(between(&started, &detected), known(15 * 60, false));
        let gmt = at("2013-05-20T07:30:00+00:00", "GMT", "minute");
        let pdt = at("2013-05-20T01:30:00-07:00", "PDT", "minute");
        assert_eq!(between(&gmt, &pdt), known(3600, false));
    }

    #[test]
    fn an_offset_change_during_the_incident_is_not_an_hour_lost() {
        // Pacific daylight saving began on 10 Mar 2013: noon PST on the 8th
        // to 13:00 PDT on the 11th is 3 days and 0 hours, not 1 hour more.
        let started = at("2013-03-08T12:00:00-08:00", "PST", "minute");
        let resolved = at("2013-03-11T13:00:00-07:00", "PDT", "minute");
        assert_eq!(between(&started, &resolved), known(3 * 86_400, false));
        let first = at("2013-11-03T01:30:00-07:00", "PDT", "minute");
        let second = at("2013-11-03T01:30:00-08:00", "PST", "minute");
        assert_eq!(between(&first, &second), known(3600, false));
    }

    #[test]
    fn approximate_and_hour_ends_give_about_figures() {
        // crates.io: deployed 09:15, records back about 09:30.
        let started = at("2023-01-25T09:15:00Z", "UTC", "minute");
        let mitigated = about(at("2023-01-25T09:30:00Z", "UTC", "minute"));
        assert_eq!(between(&started, &mitigated), known(15 * 60, true));
        // DNSimple 20 May: about 11:30 to 11:40, ten minutes.
        let started = at("2013-05-20T11:30:00-07:00", "PDT", "hour");
        let detected = at("2013-05-20T11:40:00-07:00", "PDT", "minute");
        assert_eq!(between(&started, &detected), known(600, true));
    }

    #[test]
    fn coarse_or_missing_ends_say_why() {
        let started = at("2013-03-08", "UTC", "day");
        let resolved = at("2013-03-11T13:00:00-07:00", "PDT", "minute");
        let durations =
            Durations::derive(KeyMoments { started: Some(&started), resolved: Some(&resolved), ..Default::default() });
        assert_eq!(durations.time_to_resolve, Measured::Unknown("start known only to the day".into()));
        let unknown = at("2013-03-08T10:00:00Z", "UTC", "unknown");
        let detected = at("2013-03-08T12:00:00Z", "UTC", "minute");
        assert_eq!(between(&unknown, &detected), Measured::Unknown("start time unknown".into()));
        let none = Durations::derive(KeyMoments { detected: Some(&detected), ..Default::default() });
        assert_eq!(none.total, Measured::Unknown("no resolution time given".into()));
        assert_eq!(none.time_to_detect, Measured::Unknown("no start time given".into()));
    }

    #[test]
    fn the_total_falls_back_to_mitigation_and_detection() {
        let detected = at("2023-01-25T09:25:00Z", "UTC", "minute");
        let mitigated = at("2023-01-25T09:30:00Z", "UTC", "minute");
        let durations = Durations::derive(KeyMoments {
            detected: Some(&detected),
            mitigated: Some(&mitigated),
            ..Default::default()
        });
        assert_eq!(durations.total, known(300, false));
        assert!(durations.time_to_mitigate.known().is_none(), "no start, so no time to mitigate");
    }

    #[test]
    fn gaps_may_be_read_off_dates_but_not_below_their_precision() {
        let first = at("2013-03-08", "UTC", "day");
        let same_day = at("2013-03-08T15:00:00Z", "UTC", "minute");
        assert_eq!(gap(&first, &same_day), None);
        let three_days_later = at("2013-03-11", "UTC", "day");
        assert_eq!(gap(&first, &three_days_later), Some(Elapsed { seconds: 3 * 86_400, approximate: true }));
        let hour = at("2014-07-02T07:30:00+00:00", "GMT", "hour");
        let later = at("2014-07-02T07:45:00+00:00", "GMT", "minute");
        assert_eq!(gap(&hour, &later), Some(Elapsed { seconds: 900, approximate: true }));
    }

    #[test]
    fn durations_serialise_with_their_reasons() {
        let json = serde_json::to_value(Measured::Unknown("no resolution time given".into())).unwrap();
        assert_eq!(json, serde_json::json!({"unknown": "no resolution time given"}));
        let json = serde_json::to_value(known(600, true)).unwrap();
        assert_eq!(json, serde_json::json!({"seconds": 600, "approximate": true}));
    }
}

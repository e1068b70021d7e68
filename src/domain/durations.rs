//! Durations derived from an incident's key moments. They are never stored:
//! they follow from the reported times, and take the coarser precision of
//! their two ends.

use serde::Serialize;

use super::reported_time::{Precision, ReportedTime};

/// A span between two reported times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Elapsed {
    pub seconds: i64,
    /// True when either end is known only to the hour or the day.
    pub approximate: bool,
}

/// Time from `from` to `to`, or `None` when it cannot honestly be stated:
/// an end whose time is unknown, an end before the start, or a span shorter
/// than the uncertainty of its ends (two times known only to the day, on the
/// same day).
pub fn elapsed(from: &ReportedTime, to: &ReportedTime) -> Option<Elapsed> {
    let precision = from.precision.max(to.precision);
    let granularity = precision.granularity_seconds()?;
    let seconds = to.unix_seconds() - from.unix_seconds();
    if seconds < 0 {
        return None;
    }
    let approximate = precision != Precision::Minute;
    if approximate && seconds < granularity {
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Durations {
    pub time_to_detect: Option<Elapsed>,
    pub time_to_mitigate: Option<Elapsed>,
    pub time_to_resolve: Option<Elapsed>,
    pub total: Option<Elapsed>,
}

impl Durations {
    pub fn derive(moments: KeyMoments<'_>) -> Self {
        let since_start = |end: Option<&ReportedTime>| elapsed(moments.started?, end?);
        let first = moments.started.or(moments.detected);
        let last = moments.resolved.or(moments.mitigated);
        Self {
            time_to_detect: since_start(moments.detected),
            time_to_mitigate: since_start(moments.mitigated),
            time_to_resolve: since_start(moments.resolved),
            total: first.zip(last).and_then(|(first, last)| elapsed(first, last)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reported_time::ReportedTimeInput;

    fn at(at: &str, zone: &str, precision: &str) -> ReportedTime {
        ReportedTime::parse(&ReportedTimeInput {
            at: Some(at.into()),
            zone: Some(zone.into()),
            precision: Some(precision.into()),
        })
        .unwrap()
    }

    #[test]
    fn utc_times_give_exact_minutes() {
        let started = at("2019-07-09T22:50:00Z", "UTC", "minute");
        let resolved = at("2019-07-09T23:02:00Z", "UTC", "minute");
        let durations =
            Durations::derive(KeyMoments { started: Some(&started), resolved: Some(&resolved), ..Default::default() });
        let twelve_minutes = Some(Elapsed { seconds: 720, approximate: false });
        assert_eq!(durations.time_to_resolve, twelve_minutes);
        assert_eq!(durations.total, twelve_minutes);
        assert_eq!(durations.time_to_detect, None);
        assert_eq!(durations.time_to_mitigate, None);
    }

    #[test]
    fn pdt_times_are_compared_as_instants() {
        let started = at("2013-05-20T11:40:00-07:00", "PDT", "minute");
        let detected = at("2013-05-20T18:55:00Z", "UTC", "minute");
        assert_eq!(elapsed(&started, &detected), Some(Elapsed { seconds: 15 * 60, approximate: false }));
    }

    #[test]
    fn gmt_and_pdt_ends_mix() {
        let started = at("2013-05-20T07:30:00+00:00", "GMT", "minute");
        let resolved = at("2013-05-20T01:30:00-07:00", "PDT", "minute");
        assert_eq!(elapsed(&started, &resolved), Some(Elapsed { seconds: 3600, approximate: false }));
    }

    #[test]
    fn an_incident_crossing_midnight_counts_across_the_date_change() {
        let started = at("2013-04-05T23:45:00Z", "UTC", "minute");
        let resolved = at("2013-04-06T01:15:00Z", "UTC", "minute");
        assert_eq!(elapsed(&started, &resolved).map(|e| e.seconds), Some(90 * 60));
    }

    #[test]
    fn an_offset_change_during_the_incident_is_not_an_hour_lost() {
        // US daylight saving ended at 02:00 PDT on 2013-11-03: 01:30 PDT and
        // 01:30 PST are one hour apart although the wall clock reads the same.
        let started = at("2013-11-03T01:30:00-07:00", "PDT", "minute");
        let resolved = at("2013-11-03T01:30:00-08:00", "PST", "minute");
        assert_eq!(elapsed(&started, &resolved), Some(Elapsed { seconds: 3600, approximate: false }));
    }

    #[test]
    fn day_precision_gives_an_approximate_span_or_none() {
        let first = at("2013-03-08", "UTC", "day");
        let same_day = at("2013-03-08T15:00:00Z", "UTC", "minute");
        assert_eq!(elapsed(&first, &same_day), None, "a span shorter than a day cannot be read off two dates");
        let three_days_later = at("2013-03-11", "UTC", "day");
        assert_eq!(elapsed(&first, &three_days_later), Some(Elapsed { seconds: 3 * 86_400, approximate: true }));
    }

    #[test]
    fn hour_precision_is_marked_approximate() {
        let started = at("2014-07-02T07:30:00+00:00", "GMT", "hour");
        let resolved = at("2014-07-02T10:30:00+00:00", "GMT", "minute");
        assert_eq!(elapsed(&started, &resolved), Some(Elapsed { seconds: 3 * 3600, approximate: true }));
    }

    #[test]
    fn unknown_precision_and_reversed_ends_give_nothing() {
        let started = at("2013-03-08T10:00:00Z", "UTC", "unknown");
        let resolved = at("2013-03-08T12:00:00Z", "UTC", "minute");
        assert_eq!(elapsed(&started, &resolved), None);
        let earlier = at("2013-03-08T09:00:00Z", "UTC", "minute");
        assert_eq!(elapsed(&resolved, &earlier), None);
    }

    #[test]
    fn a_missing_end_leaves_its_durations_empty() {
        let started = at("2023-01-25T09:15:00Z", "UTC", "minute");
        let detected = at("2023-01-25T09:25:00Z", "UTC", "minute");
        let durations =
            Durations::derive(KeyMoments { started: Some(&started), detected: Some(&detected), ..Default::default() });
        assert_eq!(durations.time_to_detect.map(|e| e.seconds), Some(600));
        assert_eq!(durations.time_to_resolve, None);
        assert_eq!(durations.total, None);
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
        assert_eq!(durations.total.map(|e| e.seconds), Some(300));
        assert_eq!(durations.time_to_mitigate, None, "no start, so no time to mitigate");
    }
}

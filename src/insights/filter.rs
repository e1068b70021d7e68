//! Which reports the insights count: one set of parameter names for the
//! page, its CSV downloads and `GET /api/v1/stats`.

use serde::Deserialize;
use time::{Date, Month};

use crate::domain::list_filter::query_encode;
use crate::domain::{FactorCategory, Severity, ValidationErrors};

/// The parameters as sent: `from=2019&to=2023-06&severity=sev1&service=dns`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct InsightQuery {
    /// The first day counted: `2019`, `2019-07` or `2019-07-09`.
    #[param(value_type = Option<String>, pattern = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")]
    pub from: String,
    /// The last day counted, written the same way (`2019` is up to 31 Dec).
    #[param(value_type = Option<String>, pattern = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")]
    pub to: String,
    #[param(value_type = Option<Severity>)]
    pub severity: String,
    #[param(value_type = Option<String>)]
    pub organization: String,
    #[param(value_type = Option<String>)]
    pub service: String,
    #[param(value_type = Option<String>)]
    pub tag: String,
    #[param(value_type = Option<FactorCategory>)]
    pub category: String,
    /// How the trends are grouped: `month`, `quarter` or `year`; empty,
    /// chosen by the span.
    #[param(value_type = Option<String>, pattern = "^(month|quarter|year)$")]
    pub by: String,
}

/// Reports counted: published ones, of every filter given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InsightFilter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub severity: Option<Severity>,
    pub organization: Option<String>,
    pub service: Option<String>,
    pub tag: Option<String>,
    pub category: Option<FactorCategory>,
    pub by: Option<Period>,
}

/// The length of a bar of the trends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Month, Period::Quarter, Period::Year];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    fn parse(text: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|period| period.as_str() == text)
    }

    /// The period a day falls in, as a number that counts periods from year
    /// 0: consecutive periods have consecutive numbers.
    pub fn index(self, date: Date) -> i64 {
        let year = i64::from(date.year());
        let month = i64::from(u8::from(date.month())) - 1;
        match self {
            Period::Month => year * 12 + month,
            Period::Quarter => year * 4 + month / 3,
            Period::Year => year,
        }
    }

    /// The name of the period `index`: `2019-07`, `2019-Q3`, `2019`.
    pub fn name(self, index: i64) -> String {
        match self {
            Period::Month => format!("{}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1),
            Period::Quarter => format!("{}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1),
            Period::Year => index.to_string(),
        }
    }
}

impl InsightQuery {
    /// The filter, or a message for each parameter that does not read.
    pub fn filter(&self) -> Result<InsightFilter, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut day = |field: &str, text: &str, last: bool| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let day = parse_day(text, last);
            if day.is_none() {
                errors.add(
                    field,
                    format!("`{}` is not a year, month or day such as 2019, 2019-07 or 2019-07-09", clip(text)),
                );
            }
            day
        };
        let from = day("from", &self.from, false);
        let to = day("to", &self.to, true);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.add("to", "the period ends before it begins");
            }
        }
        let mut choice = |field: &str, text: &str, choices: &str| {
            errors.add(field, format!("`{}` is not one of {choices}", clip(text)));
        };
        let severity = opt(&self.severity).and_then(|text| {
            Severity::parse(text).or_else(|| {
                choice("severity", text, &Severity::choices());
                None
            })
        });
        let category = opt(&self.category).and_then(|text| {
            FactorCategory::parse(text).or_else(|| {
                choice("category", text, &FactorCategory::choices());
                None
            })
        });
        let by = opt(&self.by).and_then(|text| {
            Period::parse(text).or_else(|| {
                choice("by", text, "month, quarter or year");
                None
            })
        });
        let filter = InsightFilter {
            from,
            to,
            severity,
            organization: opt(&self.organization).map(str::to_string),
            service: opt(&self.service).map(str::to_lowercase),
            tag: opt(&self.tag).map(str::to_lowercase),
            category,
            by,
        };
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(errors)
        }
    }

    /// The same parameters, as a query string for links (`?from=2019&…`),
    /// empty when there are none.
    pub fn query_string(&self) -> String {
        let pairs = [
            ("from", &self.from),
            ("to", &self.to),
            ("severity", &self.severity),
            ("organization", &self.organization),
            ("service", &self.service),
            ("tag", &self.tag),
            ("category", &self.category),
            ("by", &self.by),
        ];
        let parts: Vec<String> = pairs
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| format!("{name}={}", query_encode(value.trim())))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

impl InsightFilter {
    /// Whether the filter looks at dates at all: then undated reports are
    /// left out, and said to be.
    pub fn has_period(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
}

fn opt(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

fn clip(text: &str) -> String {
    crate::domain::reported_time::truncate_for_message(text)
}

/// `2019` (its first or last day), `2019-07` (likewise) or `2019-07-09`.
fn parse_day(text: &str, last: bool) -> Option<Date> {
    let mut parts = text.split('-');
    let year: i32 = parts.next()?.parse().ok().filter(|year| (1900..=9999).contains(year))?;
    let month = match parts.next() {
        None => None,
        Some(month) => Some(Month::try_from(month.parse::<u8>().ok()?).ok()?),
    };
    let day = match parts.next() {
        None => None,
        Some(day) => Some(day.parse::<u8>().ok()?),
    };
    if parts.next().is_some() {
        return None;
    }
    match (month, day) {
        (None, _) => Date::from_calendar_date(
            year,
            if last { Month::December } else { Month::January },
            if last { 31 } else { 1 },
        )
        .ok(),
        (Some(month), None) => {
            let day = if last { time::util::days_in_month(month, year) } else { 1 };
            Date::from_calendar_date(year, month, day).ok()
        }
        (Some(month), Some(day)) => Date::from_calendar_date(year, month, day).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        crate::domain::incident::parse_date(text).unwrap()
    }

    #[test]
    fn periods_are_read_as_their_first_and_last_days() {
        let query = InsightQuery { from: "2019".into(), to: "2020-02".into(), ..Default::default() };
        let filter = query.filter().unwrap();
        assert_eq!(filter.from, Some(date("2019-01-01")));
        assert_eq!(filter.to, Some(date("2020-02-29")), "a leap year's February");
        let query =
            InsightQuery { from: "2019-13".into(), to: "2018".into(), severity: "sev9".into(), ..Default::default() };
        let errors = query.filter().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["from", "severity"]);
        let query = InsightQuery { from: "2020".into(), to: "2019".into(), ..Default::default() };
        assert_eq!(query.filter().unwrap_err().0[0].message, "the period ends before it begins");
    }

    #[test]
    fn periods_count_on_from_year_zero_and_are_named() {
        let day = date("2019-08-02");
        assert_eq!(Period::Month.name(Period::Month.index(day)), "2019-08");
        assert_eq!(Period::Quarter.name(Period::Quarter.index(day)), "2019-Q3");
        assert_eq!(Period::Year.name(Period::Year.index(day)), "2019");
        assert_eq!(Period::Quarter.index(date("2020-01-01")), Period::Quarter.index(day) + 2);
    }

    #[test]
    fn the_query_string_keeps_only_what_was_given() {
        let query = InsightQuery { service: "dns".into(), tag: "a b".into(), ..Default::default() };
        assert_eq!(query.query_string(), "?service=dns&tag=a%20b");
        assert_eq!(InsightQuery::default().query_string(), "");
    }
}

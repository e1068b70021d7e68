//! Pasted timeline lines and written times, as the form and
//! `POST /api/v1/timeline/parse` read them. The first line is the report's
//! zone; the first byte chooses whether a date is known.
#![no_main]

use hindsight::domain::timeline_paste;
use hindsight::domain::written_time::{parse_written, TimeDefaults};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((choice, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (zone, lines) = text.split_once('\n').unwrap_or(("", text));
    let date = (choice & 1 == 1).then(|| jiff::civil::date(2024, 3, 8));
    let defaults = TimeDefaults { zone: Some(zone.to_string()).filter(|z| !z.is_empty()), date, date_from: "the test" };
    let _ = timeline_paste::parse(lines, &defaults, None);
    for line in lines.lines().take(8) {
        let _ = parse_written(line, None, &defaults);
    }
});

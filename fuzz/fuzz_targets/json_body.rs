//! A JSON body as the API reads it: the nesting check, then the shape with
//! the path of a wrong field, then validation; and the search's JSON body.
#![no_main]

use hindsight::api::extract::{from_value, parse_json};
use hindsight::search::SearchParams;
use hindsight::domain::IncidentInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = parse_json::<serde_json::Value>(data) {
        if let Ok(input) = from_value::<IncidentInput>(value.clone()) {
            let _ = input.validate();
        }
        if let Ok(params) = from_value::<SearchParams>(value) {
            let _ = params.request();
        }
    }
});

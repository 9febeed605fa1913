//! Names stored as text: timings, temperatures and stages round-trip, and BANT facts not sent
//! are not confirmed.

use serde_json::json;

use super::*;

#[test]
fn text_forms_match_serde_and_parse_back() {
    for timing in Timing::ALL {
        assert_eq!(timing.as_str().parse(), Ok(timing));
        assert_eq!(json!(timing), json!(timing.as_str()));
    }
    for temperature in Temperature::ALL {
        assert_eq!(temperature.as_str().parse(), Ok(temperature));
        assert_eq!(json!(temperature), json!(temperature.as_str()));
    }
    for stage in Stage::ALL {
        assert_eq!(stage.as_str().parse(), Ok(stage));
        assert_eq!(json!(stage), json!(stage.as_str()));
    }
    assert_eq!(
        "soon".parse::<Timing>(),
        Err(UnknownTiming("soon".to_owned()))
    );
    assert!("Hot".parse::<Temperature>().is_err());
    assert!("lead".parse::<Stage>().is_err());
}

#[test]
fn bant_facts_not_sent_are_not_confirmed() {
    let parsed: Result<Bant, _> = serde_json::from_value(json!({"budget": true}));
    assert_eq!(parsed.ok(), Some(bant(true, false, false, Timing::Unknown)));
}

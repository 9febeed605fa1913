//! Checks on `scoring.toml`: every setting that would break a promise of the API is refused,
//! naming the setting.

use super::*;

#[test]
fn rejects_warm_not_below_hot() {
    let text = base_replacing("warm = 30", "warm = 50");
    assert_eq!(invalid_key(&text), "temperature.warm");
    let message = ScoringRules::from_toml(&text)
        .err()
        .map(|error| error.to_string());
    assert_eq!(
        message.as_deref(),
        Some("scoring rule `temperature.warm` (50) must be below `temperature.hot` (50)")
    );
}

#[test]
fn rejects_zero_warm_threshold() {
    assert_eq!(
        invalid_key(&base_replacing("warm = 30", "warm = 0")),
        "temperature.warm"
    );
}

#[test]
fn rejects_hot_above_100() {
    let text = base_replacing("hot = 50", "hot = 101");
    assert_eq!(invalid_key(&text), "temperature.hot");
}

#[test]
fn rejects_hot_out_of_reach_of_a_fully_qualified_lead() {
    let text = base_replacing("hot = 50", "hot = 51");
    assert_eq!(invalid_key(&text), "temperature.hot");
}

#[test]
fn rejects_negative_thresholds() {
    let message = syntax_error(&base_replacing("warm = 30", "warm = -1"));
    assert!(message.contains("warm"), "{message}");
}

#[test]
fn rejects_mql_threshold_outside_1_to_100() {
    for bad in ["mql_min_score = 0", "mql_min_score = 101"] {
        let text = base_replacing("mql_min_score = 25", bad);
        assert_eq!(invalid_key(&text), "stages.mql_min_score", "{bad}");
    }
}

#[test]
fn rejects_negative_bant_points() {
    let text = base_replacing("need = 10", "need = -1");
    assert_eq!(invalid_key(&text), "bant.need");
}

#[test]
fn rejects_points_beyond_100() {
    assert_eq!(
        invalid_key(&base_replacing("budget = 10", "budget = 101")),
        "bant.budget"
    );
    assert_eq!(
        invalid_key(&format!("{BASE}\n[sources]\nevent = -101\n")),
        "sources.event"
    );
    assert_eq!(
        invalid_key(&format!(
            "{BASE}\n[title_keywords]\n\"Vice President\" = 150\n"
        )),
        "title_keywords.\"Vice President\""
    );
    assert_eq!(
        invalid_key(&format!(
            "{BASE}\n[[attributes]]\nname = \"x\"\nequals = 1\npoints = 200\n"
        )),
        "attributes[0].points"
    );
}

#[test]
fn rejects_later_timing_scoring_more_than_sooner() {
    let text = base_replacing("this_year = 5", "this_year = 15");
    assert_eq!(invalid_key(&text), "timing.this_year");
}

#[test]
fn accepts_negative_later_timing() {
    let rules = rules(&base_replacing("later = 0", "later = -10"));
    assert_eq!(rules.timing.later, -10);
}

#[test]
fn rejects_sql_timing_without_now() {
    let text = base_replacing(
        "mql_min_score = 25",
        "mql_min_score = 25\nsql_timing = [\"this_quarter\"]",
    );
    assert_eq!(invalid_key(&text), "stages.sql_timing");
}

#[test]
fn rejects_unknown_timing_names() {
    let text = base_replacing(
        "mql_min_score = 25",
        "mql_min_score = 25\nsql_timing = [\"now\", \"soon\"]",
    );
    let message = syntax_error(&text);
    assert!(message.contains("soon"), "{message}");
}

#[test]
fn rejects_keywords_and_names_without_letters() {
    assert_eq!(
        invalid_key(&format!("{BASE}\n[title_keywords]\n\"!!\" = 5\n")),
        "title_keywords.\"!!\""
    );
    assert_eq!(
        invalid_key(&format!("{BASE}\n[campaigns]\n\" \" = 5\n")),
        "campaigns.\" \""
    );
}

#[test]
fn rejects_names_that_differ_only_in_case_or_punctuation() {
    assert_eq!(
        invalid_key(&format!(
            "{BASE}\n[sources]\n\"Paid Search\" = 3\npaid_search = 4\n"
        )),
        "sources.paid_search"
    );
    assert_eq!(
        invalid_key(&format!("{BASE}\n[title_keywords]\nVP = 3\nvp = 4\n")),
        "title_keywords.vp"
    );
}

#[test]
fn rejects_attribute_rules_without_a_name_or_a_usable_value() {
    assert_eq!(
        invalid_key(&format!(
            "{BASE}\n[[attributes]]\nname = \" \"\nequals = 1\npoints = 2\n"
        )),
        "attributes[0].name"
    );
    assert_eq!(
        invalid_key(&format!(
            "{BASE}\n[[attributes]]\nname = \"x\"\nequals = nan\npoints = 2\n"
        )),
        "attributes[0].equals"
    );
    let message = syntax_error(&format!(
        "{BASE}\n[[attributes]]\nname = \"x\"\nequals = [1]\npoints = 2\n"
    ));
    assert!(
        message.contains("text, a number, true or false"),
        "{message}"
    );
}

#[test]
fn rejects_misspelt_settings() {
    let message = syntax_error(&base_replacing("hot = 50", "hott = 50"));
    assert!(message.contains("hott"), "{message}");
    let message = syntax_error(&format!("{BASE}\n[source]\nevent = 3\n"));
    assert!(message.contains("source"), "{message}");
}

#[test]
fn rejects_missing_sections() {
    let without_temperature = BASE
        .replacen("[temperature]", "", 1)
        .replacen("warm = 30", "", 1)
        .replacen("hot = 50", "", 1);
    let message = syntax_error(&without_temperature);
    assert!(message.contains("temperature"), "{message}");
}

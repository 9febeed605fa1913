//! Tests of lead scoring: each rule on its own against small rules, the shipped rules, the checks
//! on `scoring.toml`, and properties that hold for any valid rules.

use serde_json::{Map, Value};

use super::*;

mod matching;
mod names;
mod points;
mod properties;
mod stages;
mod validation;

/// Small rules that make each rule's effect easy to see; tests change one line at a time.
const BASE: &str = r#"
    [bant]
    budget = 10
    authority = 10
    need = 10

    [timing]
    now = 20
    this_quarter = 10
    this_year = 5
    later = 0
    unknown = 0

    [temperature]
    warm = 30
    hot = 50

    [stages]
    mql_min_score = 25
"#;

fn rules(text: &str) -> ScoringRules {
    match ScoringRules::from_toml(text) {
        Ok(rules) => rules,
        Err(error) => panic!("rules should be valid: {error}\n{text}"),
    }
}

fn base_with(section: &str) -> ScoringRules {
    rules(&format!("{BASE}\n{section}"))
}

fn base_replacing(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no {from:?}");
    BASE.replacen(from, to, 1)
}

/// The key named by a validation error, or a panic naming what came back instead.
fn invalid_key(text: &str) -> String {
    match ScoringRules::from_toml(text) {
        Err(ScoringConfigError::Invalid { key, .. }) => key,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn syntax_error(text: &str) -> String {
    match ScoringRules::from_toml(text) {
        Err(ScoringConfigError::Syntax(error)) => error.to_string(),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

fn lead(attributes: &Map<String, Value>) -> LeadFacts<'_> {
    LeadFacts {
        bant: None,
        title: None,
        source: None,
        campaign: None,
        attributes,
    }
}

fn bant(budget: bool, authority: bool, need: bool, timing: Timing) -> Bant {
    Bant {
        budget,
        authority,
        need,
        timing,
    }
}

fn rule_names(score: &Score) -> Vec<&str> {
    score.explanation.iter().map(|c| c.rule.as_str()).collect()
}

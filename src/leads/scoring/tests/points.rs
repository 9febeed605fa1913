//! Points: the API's anchors on the shipped rules, BANT and timing, and the 0–100 limit.

use super::*;
use crate::leads::scoring::rules::SHIPPED_RULES;

// Shipped rules and the API's anchors.

#[test]
fn shipped_rules_are_valid_and_are_the_default() {
    let shipped = rules(SHIPPED_RULES);
    assert_eq!(ScoringRules::default(), shipped);
}

#[test]
fn fully_qualified_lead_buying_now_is_hot_and_sql() {
    let no_attributes = Map::new();
    let facts = bant(true, true, true, Timing::Now);
    let score = score(
        &ScoringRules::default(),
        &LeadFacts {
            bant: Some(&facts),
            ..lead(&no_attributes)
        },
    );
    assert_eq!(score.temperature, Temperature::Hot);
    assert_eq!(score.qualified_stage, Stage::Sql);
}

#[test]
fn lead_with_nothing_is_cold_and_new() {
    let no_attributes = Map::new();
    let score = score(&ScoringRules::default(), &lead(&no_attributes));
    assert_eq!(score.points, 0);
    assert_eq!(score.temperature, Temperature::Cold);
    assert_eq!(score.qualified_stage, Stage::New);
    assert!(score.explanation.is_empty());
}

#[test]
fn lead_with_empty_bant_is_cold_and_new() {
    let no_attributes = Map::new();
    let facts = Bant::default();
    let score = score(
        &ScoringRules::default(),
        &LeadFacts {
            bant: Some(&facts),
            ..lead(&no_attributes)
        },
    );
    assert_eq!(score.points, 0);
    assert_eq!(score.temperature, Temperature::Cold);
    assert_eq!(score.qualified_stage, Stage::New);
}

// BANT and timing.

#[test]
fn each_confirmed_bant_fact_gives_its_points() {
    let rules = rules(&base_replacing("authority = 10", "authority = 12"));
    let no_attributes = Map::new();
    let cases = [
        (bant(true, false, false, Timing::Unknown), 10, "bant.budget"),
        (
            bant(false, true, false, Timing::Unknown),
            12,
            "bant.authority",
        ),
        (bant(false, false, true, Timing::Unknown), 10, "bant.need"),
    ];
    for (facts, points, rule) in cases {
        let score = score(
            &rules,
            &LeadFacts {
                bant: Some(&facts),
                ..lead(&no_attributes)
            },
        );
        assert_eq!(score.points, points, "{rule}");
        assert_eq!(rule_names(&score), [rule]);
    }
}

#[test]
fn each_timing_gives_its_points() {
    let rules = rules(&base_replacing("unknown = 0", "unknown = 3"));
    let no_attributes = Map::new();
    let cases = [
        (Timing::Now, 20),
        (Timing::ThisQuarter, 10),
        (Timing::ThisYear, 5),
        (Timing::Later, 0),
        (Timing::Unknown, 3),
    ];
    for (timing, points) in cases {
        let facts = bant(false, false, false, timing);
        let score = score(
            &rules,
            &LeadFacts {
                bant: Some(&facts),
                ..lead(&no_attributes)
            },
        );
        assert_eq!(score.points, points, "{timing}");
    }
}

#[test]
fn explanation_names_the_timing_setting() {
    let no_attributes = Map::new();
    let facts = bant(true, false, false, Timing::ThisQuarter);
    let score = score(
        &rules(BASE),
        &LeadFacts {
            bant: Some(&facts),
            ..lead(&no_attributes)
        },
    );
    assert_eq!(
        score.explanation,
        [
            ScoreContribution {
                rule: "bant.budget".into(),
                detail: "budget confirmed".into(),
                points: 10
            },
            ScoreContribution {
                rule: "timing.this_quarter".into(),
                detail: "buying timing: this quarter".into(),
                points: 10
            },
        ]
    );
}

// Totals, temperature and stage.

#[test]
fn score_is_capped_at_100_and_the_explanation_says_so() {
    let rules = base_with("[sources]\nevent = 100\n");
    let no_attributes = Map::new();
    let facts = bant(true, true, true, Timing::Now);
    let score = score(
        &rules,
        &LeadFacts {
            bant: Some(&facts),
            source: Some("event"),
            ..lead(&no_attributes)
        },
    );
    assert_eq!(score.points, 100);
    let limit = score
        .explanation
        .last()
        .map(|c| (c.rule.as_str(), c.points));
    assert_eq!(limit, Some(("limit", -50)));
}

#[test]
fn score_never_goes_below_zero() {
    let rules = base_with("[sources]\npurchased_list = -40\n");
    let no_attributes = Map::new();
    let facts = bant(true, false, false, Timing::Unknown);
    let score = score(
        &rules,
        &LeadFacts {
            bant: Some(&facts),
            source: Some("purchased list"),
            ..lead(&no_attributes)
        },
    );
    assert_eq!(score.points, 0);
    assert_eq!(score.temperature, Temperature::Cold);
    let limit = score
        .explanation
        .last()
        .map(|c| (c.rule.as_str(), c.points));
    assert_eq!(limit, Some(("limit", 30)));
}

//! Temperature and stage: the thresholds, what qualifies a lead, and how its stage may move.

use super::*;

// Thresholds and qualification.

#[test]
fn temperature_thresholds_are_inclusive() {
    let rules = rules(BASE);
    assert_eq!(rules.temperature_for(0), Temperature::Cold);
    assert_eq!(rules.temperature_for(29), Temperature::Cold);
    assert_eq!(rules.temperature_for(30), Temperature::Warm);
    assert_eq!(rules.temperature_for(49), Temperature::Warm);
    assert_eq!(rules.temperature_for(50), Temperature::Hot);
    assert_eq!(rules.temperature_for(100), Temperature::Hot);
}

#[test]
fn mql_from_the_configured_score() {
    let rules = base_with("[sources]\nevent = 24\nreferral = 25\n");
    let no_attributes = Map::new();
    let stage_for = |source| {
        score(
            &rules,
            &LeadFacts {
                source: Some(source),
                ..lead(&no_attributes)
            },
        )
        .qualified_stage
    };
    assert_eq!(stage_for("event"), Stage::New);
    assert_eq!(stage_for("referral"), Stage::Mql);
}

#[test]
fn sql_needs_all_bant_facts_and_near_timing() {
    let rules = rules(BASE);
    let no_attributes = Map::new();
    let stage_for = |facts: Bant| {
        score(
            &rules,
            &LeadFacts {
                bant: Some(&facts),
                ..lead(&no_attributes)
            },
        )
        .qualified_stage
    };
    assert_eq!(stage_for(bant(true, true, true, Timing::Now)), Stage::Sql);
    assert_eq!(
        stage_for(bant(true, true, true, Timing::ThisQuarter)),
        Stage::Sql
    );
    assert_eq!(
        stage_for(bant(true, true, true, Timing::ThisYear)),
        Stage::Mql
    );
    assert_eq!(
        stage_for(bant(true, true, true, Timing::Unknown)),
        Stage::Mql
    );
    assert_eq!(stage_for(bant(true, true, false, Timing::Now)), Stage::Mql);
    assert_eq!(stage_for(bant(false, true, true, Timing::Now)), Stage::Mql);
    assert_eq!(stage_for(bant(true, false, false, Timing::Now)), Stage::Mql);
    assert_eq!(
        stage_for(bant(true, false, false, Timing::Later)),
        Stage::New
    );
}

#[test]
fn sql_timing_defaults_to_now_and_this_quarter() {
    assert_eq!(rules(BASE).sql_timing, [Timing::Now, Timing::ThisQuarter]);
}

#[test]
fn sql_timing_is_configurable() {
    let wider = rules(&base_replacing(
        "mql_min_score = 25",
        "mql_min_score = 25\nsql_timing = [\"now\", \"this_quarter\", \"this_year\"]",
    ));
    let no_attributes = Map::new();
    let facts = bant(true, true, true, Timing::ThisYear);
    let score = score(
        &wider,
        &LeadFacts {
            bant: Some(&facts),
            ..lead(&no_attributes)
        },
    );
    assert_eq!(score.qualified_stage, Stage::Sql);
}

// Stage monotonicity.

#[test]
fn scoring_moves_a_lead_forward() {
    assert_eq!(advance_stage(Stage::New, Stage::Mql), Stage::Mql);
    assert_eq!(advance_stage(Stage::New, Stage::Sql), Stage::Sql);
    assert_eq!(advance_stage(Stage::Mql, Stage::Sql), Stage::Sql);
    assert_eq!(advance_stage(Stage::New, Stage::New), Stage::New);
}

#[test]
fn scoring_never_moves_a_lead_back() {
    assert_eq!(advance_stage(Stage::Sql, Stage::New), Stage::Sql);
    assert_eq!(advance_stage(Stage::Sql, Stage::Mql), Stage::Sql);
    assert_eq!(advance_stage(Stage::Mql, Stage::New), Stage::Mql);
}

#[test]
fn scoring_leaves_stages_set_by_people_alone() {
    for settled in [Stage::Opportunity, Stage::Customer, Stage::Disqualified] {
        for qualified in Stage::ALL {
            assert_eq!(
                advance_stage(settled, qualified),
                settled,
                "{settled} {qualified}"
            );
        }
    }
}

#[test]
fn scoring_never_disqualifies() {
    for current in [Stage::New, Stage::Mql, Stage::Sql] {
        assert_eq!(advance_stage(current, Stage::Disqualified), current);
    }
}

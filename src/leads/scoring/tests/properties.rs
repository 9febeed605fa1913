//! Properties that hold for any valid rules and any lead.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::leads::scoring::points::MAX_SCORE;

/// Valid rules of any shape, so the properties hold for whatever marketing ops configures.
fn any_rules() -> impl Strategy<Value = ScoringRules> {
    (
        prop::array::uniform3(0..=40i32),
        prop::array::uniform4(-20..=40i32),
        -20..=40i32,
        prop::array::uniform4(-100..=100i32),
        1u8..=100,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_filter_map(
            "a fully qualified lead must be able to reach hot",
            |(bant, mut timing, unknown, weights, mql, hot_pick, warm_pick)| {
                timing.sort_unstable_by(|a, b| b.cmp(a));
                let reach = (bant.iter().sum::<i32>() + timing[0]).min(100);
                let hot = 2 + hot_pick.index(usize::try_from(reach - 1).ok()?);
                let warm = 1 + warm_pick.index(hot - 1);
                let [vp, intern, source, attribute] = weights;
                let text = format!(
                    "[bant]\nbudget = {}\nauthority = {}\nneed = {}\n\
                     [timing]\nnow = {}\nthis_quarter = {}\nthis_year = {}\nlater = {}\n\
                     unknown = {unknown}\n\
                     [title_keywords]\nVP = {vp}\nIntern = {intern}\n\
                     [sources]\nwebinar = {source}\n[campaigns]\nspring = {source}\n\
                     [[attributes]]\nname = \"size\"\nequals = \"large\"\n\
                     points = {attribute}\n\
                     [temperature]\nwarm = {warm}\nhot = {hot}\n\
                     [stages]\nmql_min_score = {mql}\n",
                    bant[0], bant[1], bant[2], timing[0], timing[1], timing[2], timing[3],
                );
                ScoringRules::from_toml(&text).ok()
            },
        )
}

fn some_rules() -> impl Strategy<Value = ScoringRules> {
    prop_oneof![Just(ScoringRules::default()), any_rules()]
}

#[derive(Debug, Clone)]
struct OwnedFacts {
    bant: Option<Bant>,
    title: Option<String>,
    source: Option<String>,
    campaign: Option<String>,
    attributes: Map<String, Value>,
}

impl OwnedFacts {
    fn facts(&self) -> LeadFacts<'_> {
        LeadFacts {
            bant: self.bant.as_ref(),
            title: self.title.as_deref(),
            source: self.source.as_deref(),
            campaign: self.campaign.as_deref(),
            attributes: &self.attributes,
        }
    }
}

fn any_bant() -> impl Strategy<Value = Bant> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(Timing::ALL.to_vec()),
    )
        .prop_map(|(budget, authority, need, timing)| bant(budget, authority, need, timing))
}

fn any_name(known: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        prop::sample::select(known).prop_map(str::to_owned),
        "\\PC{0,30}",
    ])
}

fn any_facts() -> impl Strategy<Value = OwnedFacts> {
    (
        prop::option::of(any_bant()),
        any_name(&[
            "VP of Sales",
            "Marketing Intern",
            "Chief of Staff",
            "Head of IT",
        ]),
        any_name(&["webinar", "Paid Search", "purchased_list", "referral"]),
        any_name(&["spring", "Spring"]),
        prop::option::of(prop_oneof![
            Just(json!("large")),
            Just(json!("enterprise")),
            Just(json!(12)),
        ]),
    )
        .prop_map(|(bant, title, source, campaign, size)| {
            let mut attributes = Map::new();
            if let Some(size) = size {
                attributes.insert("size".to_owned(), size.clone());
                attributes.insert("company_size".to_owned(), size);
            }
            OwnedFacts {
                bant,
                title,
                source,
                campaign,
                attributes,
            }
        })
}

proptest! {
    #[test]
    fn score_is_within_0_to_100_and_fully_explained(
        rules in some_rules(),
        facts in any_facts(),
    ) {
        let score = score(&rules, &facts.facts());
        prop_assert!(score.points <= MAX_SCORE);
        let explained: i32 = score.explanation.iter().map(|c| c.points).sum();
        prop_assert_eq!(explained, i32::from(score.points));
        prop_assert!(score.explanation.iter().all(|c| c.points != 0));
    }

    #[test]
    fn confirming_a_bant_fact_never_lowers_the_score(
        rules in some_rules(),
        facts in any_facts(),
        base in any_bant(),
        fact in 0..3usize,
    ) {
        let mut confirmed = base;
        match fact {
            0 => confirmed.budget = true,
            1 => confirmed.authority = true,
            _ => confirmed.need = true,
        }
        let before = score(&rules, &LeadFacts { bant: Some(&base), ..facts.facts() });
        let after = score(&rules, &LeadFacts { bant: Some(&confirmed), ..facts.facts() });
        prop_assert!(after.points >= before.points);
        prop_assert!(after.temperature >= before.temperature);
        prop_assert!(
            after.qualified_stage.funnel_position() >= before.qualified_stage.funnel_position()
        );
    }

    #[test]
    fn advance_stage_never_moves_back(
        current in prop::sample::select(Stage::ALL.to_vec()),
        qualified in prop::sample::select(Stage::ALL.to_vec()),
    ) {
        let advanced = advance_stage(current, qualified);
        prop_assert!(advanced == current || advanced == qualified);
        prop_assert!(advanced.funnel_position() >= current.funnel_position());
        if matches!(current, Stage::Opportunity | Stage::Customer | Stage::Disqualified) {
            prop_assert_eq!(advanced, current);
        }
        prop_assert_eq!(advance_stage(advanced, qualified), advanced);
    }

    #[test]
    fn re_scoring_keeps_the_stage_or_moves_it_forward(
        rules in some_rules(),
        first in any_facts(),
        second in any_facts(),
    ) {
        let stage = advance_stage(Stage::New, score(&rules, &first.facts()).qualified_stage);
        let rescored = advance_stage(stage, score(&rules, &second.facts()).qualified_stage);
        prop_assert!(rescored.funnel_position() >= stage.funnel_position());
    }

    #[test]
    fn temperature_rises_with_the_score(
        rules in some_rules(),
        low in 0..=MAX_SCORE,
        high in 0..=MAX_SCORE,
    ) {
        let (low, high) = (low.min(high), low.max(high));
        prop_assert!(rules.temperature_for(low) <= rules.temperature_for(high));
    }
}

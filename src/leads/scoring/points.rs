//! Adding up a lead's points: what each matching rule gives, and the total kept within 0–100.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::facts::LeadFacts;
use super::matching::{contains_phrase, normalized_name, toml_key, words};
use super::rules::{NamedWeight, ScoringRules, TitleKeyword};
use super::stages::{Stage, Temperature};

/// The highest score a lead can have.
pub(super) const MAX_SCORE: u8 = 100;

/// A lead's score with the reasons for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub points: u8,
    pub temperature: Temperature,
    /// The furthest stage the facts alone justify: `new`, `mql` or `sql`.
    pub qualified_stage: Stage,
    /// The rules that gave points, in the order of `scoring.toml`; their points add up to
    /// `points`.
    pub explanation: Vec<ScoreContribution>,
}

/// The points one rule gave a lead. `rule` names the setting in `scoring.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreContribution {
    pub rule: String,
    pub detail: String,
    pub points: i32,
}

/// Scores a lead. The points of every matching rule are added and the total kept within
/// 0–100.
pub fn score(rules: &ScoringRules, facts: &LeadFacts<'_>) -> Score {
    let mut explanation = Vec::new();
    if let Some(bant) = facts.bant {
        let confirmed = [
            (bant.budget, "bant.budget", "budget", rules.bant.budget),
            (
                bant.authority,
                "bant.authority",
                "authority",
                rules.bant.authority,
            ),
            (bant.need, "bant.need", "need", rules.bant.need),
        ];
        for (is_confirmed, rule, fact, points) in confirmed {
            if is_confirmed {
                explanation.push(contribution(rule, format!("{fact} confirmed"), points));
            }
        }
        explanation.push(contribution(
            format!("timing.{}", bant.timing),
            format!("buying timing: {}", bant.timing.in_words()),
            rules.timing.for_timing(bant.timing),
        ));
    }
    explanation.extend(title_contribution(&rules.title_keywords, facts.title));
    explanation.extend(weight_contribution(
        "sources",
        "source",
        &rules.sources,
        facts.source,
    ));
    explanation.extend(weight_contribution(
        "campaigns",
        "campaign",
        &rules.campaigns,
        facts.campaign,
    ));
    for rule in &rules.attributes {
        if let Some(value) = facts.attributes.get(&rule.name) {
            if rule.equals.matches(value) {
                explanation.push(contribution(
                    toml_key("attributes", &rule.name),
                    format!("{} is {value}", rule.name),
                    rule.points,
                ));
            }
        }
    }
    explanation.retain(|contribution| contribution.points != 0);

    let total: i32 = explanation
        .iter()
        .map(|contribution| contribution.points)
        .sum();
    let clamped = total.clamp(0, i32::from(MAX_SCORE));
    if clamped != total {
        explanation.push(contribution(
            "limit",
            format!("the rules add up to {total}; a score stays within 0–{MAX_SCORE}"),
            clamped - total,
        ));
    }
    let points = u8::try_from(clamped).unwrap_or(MAX_SCORE);

    Score {
        points,
        temperature: rules.temperature_for(points),
        qualified_stage: rules.qualified_stage(facts.bant, points),
        explanation,
    }
}

fn contribution(rule: impl Into<String>, detail: String, points: i32) -> ScoreContribution {
    ScoreContribution {
        rule: rule.into(),
        detail,
        points,
    }
}

/// Only the best matching keyword counts: "VP and Director" is as senior as a VP, not more.
fn title_contribution(keywords: &[TitleKeyword], title: Option<&str>) -> Option<ScoreContribution> {
    let title = title?;
    let title_words = words(title);
    let best = keywords
        .iter()
        .filter(|keyword| contains_phrase(&title_words, &keyword.words))
        .fold(None::<&TitleKeyword>, |best, keyword| match best {
            Some(best) if best.points >= keyword.points => Some(best),
            _ => Some(keyword),
        })?;
    Some(contribution(
        toml_key("title_keywords", &best.keyword),
        format!("title {title:?} contains {:?}", best.keyword),
        best.points,
    ))
}

fn weight_contribution(
    section: &str,
    fact: &str,
    weights: &BTreeMap<String, NamedWeight>,
    value: Option<&str>,
) -> Option<ScoreContribution> {
    let value = value?;
    let weight = weights.get(&normalized_name(value))?;
    Some(contribution(
        toml_key(section, &weight.name),
        format!("{fact} {value:?}"),
        weight.points,
    ))
}

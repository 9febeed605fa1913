//! What `scoring.toml` may say: every setting is checked when the rules are read, so scoring
//! itself never meets a rule that breaks a promise of the API.

use std::collections::BTreeMap;

use super::facts::Timing;
use super::matching::{normalized_name, toml_key, words, AttributeValue};
use super::points::MAX_SCORE;
use super::rules::{
    AttributeRule, BantPoints, NamedWeight, RulesFile, ScoringConfigError, ScoringRules,
    StageRules, TemperatureThresholds, TimingPoints, TitleKeyword,
};

/// The largest number of points, up or down, that one rule may give.
const MAX_RULE_POINTS: i32 = 100;

impl ScoringRules {
    pub(super) fn checked(file: RulesFile) -> Result<Self, ScoringConfigError> {
        let RulesFile {
            bant,
            timing,
            title_keywords,
            sources,
            campaigns,
            attributes,
            temperature,
            stages,
        } = file;

        bant.check()?;
        timing.check()?;
        let title_keywords = checked_title_keywords(title_keywords)?;
        let sources = checked_weights("sources", sources)?;
        let campaigns = checked_weights("campaigns", campaigns)?;
        for (index, rule) in attributes.iter().enumerate() {
            rule.check(index)?;
        }
        temperature.check()?;
        stages.check()?;

        // The API promises that a lead with budget, authority and need confirmed that buys now
        // is hot; `stages.check` already makes it sales-qualified.
        let fully_qualified = bant.budget + bant.authority + bant.need + timing.now;
        if fully_qualified < i32::from(temperature.hot) {
            return Err(invalid(
                "temperature.hot",
                format!(
                    "({}) is out of reach of a lead with budget, authority and need confirmed \
                     and timing now, which scores {fully_qualified} and must be hot",
                    temperature.hot
                ),
            ));
        }

        Ok(ScoringRules {
            bant,
            timing,
            title_keywords,
            sources,
            campaigns,
            attributes,
            temperature,
            mql_min_score: stages.mql_min_score,
            sql_timing: stages.sql_timing,
        })
    }
}

impl BantPoints {
    /// Confirming a fact must never lower a score, so BANT points cannot be negative.
    fn check(&self) -> Result<(), ScoringConfigError> {
        check_points("bant.budget", self.budget, 0)?;
        check_points("bant.authority", self.authority, 0)?;
        check_points("bant.need", self.need, 0)
    }
}

impl TimingPoints {
    fn check(&self) -> Result<(), ScoringConfigError> {
        let nearest_first = [
            ("timing.now", self.now),
            ("timing.this_quarter", self.this_quarter),
            ("timing.this_year", self.this_year),
            ("timing.later", self.later),
        ];
        let unknown = ("timing.unknown", self.unknown);
        for (key, points) in nearest_first.into_iter().chain([unknown]) {
            check_points(key, points, -MAX_RULE_POINTS)?;
        }
        for pair in nearest_first.windows(2) {
            if let &[(nearer_key, nearer), (later_key, later)] = pair {
                if later > nearer {
                    return Err(invalid(
                        later_key,
                        format!(
                            "({later}) may not be more than `{nearer_key}` ({nearer}): \
                             buying sooner never scores less"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl AttributeRule {
    fn check(&self, index: usize) -> Result<(), ScoringConfigError> {
        if self.name.trim().is_empty() {
            return Err(invalid(
                format!("attributes[{index}].name"),
                "must name an attribute",
            ));
        }
        if let AttributeValue::Number(number) = self.equals {
            if !number.is_finite() {
                return Err(invalid(
                    format!("attributes[{index}].equals"),
                    "must be a finite number",
                ));
            }
        }
        check_points(
            &format!("attributes[{index}].points"),
            self.points,
            -MAX_RULE_POINTS,
        )
    }
}

impl TemperatureThresholds {
    fn check(&self) -> Result<(), ScoringConfigError> {
        // The API promises that a lead nobody knows anything about is cold.
        if self.warm == 0 {
            return Err(invalid(
                "temperature.warm",
                "must be at least 1, so that a lead with no points is cold",
            ));
        }
        if self.hot > MAX_SCORE {
            return Err(invalid(
                "temperature.hot",
                format!("({}) must be at most {MAX_SCORE}", self.hot),
            ));
        }
        if self.warm >= self.hot {
            return Err(invalid(
                "temperature.warm",
                format!(
                    "({}) must be below `temperature.hot` ({})",
                    self.warm, self.hot
                ),
            ));
        }
        Ok(())
    }
}

impl StageRules {
    fn check(&self) -> Result<(), ScoringConfigError> {
        // The API promises that a lead nobody knows anything about stays new.
        if !(1..=MAX_SCORE).contains(&self.mql_min_score) {
            return Err(invalid(
                "stages.mql_min_score",
                format!(
                    "({}) must be between 1 and {MAX_SCORE}, so that a lead with no points \
                     stays new",
                    self.mql_min_score
                ),
            ));
        }
        if !self.sql_timing.contains(&Timing::Now) {
            return Err(invalid(
                "stages.sql_timing",
                "must include \"now\": a lead with budget, authority and need confirmed that \
                 buys now is sales-qualified",
            ));
        }
        Ok(())
    }
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ScoringConfigError {
    ScoringConfigError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

fn check_points(key: &str, points: i32, lowest: i32) -> Result<(), ScoringConfigError> {
    if (lowest..=MAX_RULE_POINTS).contains(&points) {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!("({points}) must be between {lowest} and {MAX_RULE_POINTS} points"),
        ))
    }
}

fn checked_title_keywords(
    keywords: BTreeMap<String, i32>,
) -> Result<Vec<TitleKeyword>, ScoringConfigError> {
    let mut checked: Vec<TitleKeyword> = Vec::with_capacity(keywords.len());
    for (keyword, points) in keywords {
        let key = toml_key("title_keywords", &keyword);
        check_points(&key, points, -MAX_RULE_POINTS)?;
        let words = words(&keyword);
        if words.is_empty() {
            return Err(invalid(key, "needs at least one letter or digit"));
        }
        if let Some(same) = checked.iter().find(|other| other.words == words) {
            return Err(invalid(
                key,
                format!(
                    "is the same keyword as {:?} once case and punctuation are ignored",
                    same.keyword
                ),
            ));
        }
        checked.push(TitleKeyword {
            keyword,
            words,
            points,
        });
    }
    Ok(checked)
}

fn checked_weights(
    section: &str,
    weights: BTreeMap<String, i32>,
) -> Result<BTreeMap<String, NamedWeight>, ScoringConfigError> {
    let mut checked: BTreeMap<String, NamedWeight> = BTreeMap::new();
    for (name, points) in weights {
        let key = toml_key(section, &name);
        check_points(&key, points, -MAX_RULE_POINTS)?;
        let normalized = normalized_name(&name);
        if normalized.is_empty() {
            return Err(invalid(key, "needs at least one letter or digit"));
        }
        if let Some(same) = checked.get(&normalized) {
            return Err(invalid(
                key,
                format!(
                    "is the same name as {:?} once case, spaces and punctuation are ignored",
                    same.name
                ),
            ));
        }
        checked.insert(normalized, NamedWeight { name, points });
    }
    Ok(checked)
}

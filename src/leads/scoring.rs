//! Lead scoring: turns what is known about a lead into a score from 0 to 100, a temperature and
//! the stage those facts qualify it for, with the points of every rule that matched.
//!
//! The rules are data (`config/scoring.toml`) so marketing ops can tune them without a release,
//! and scoring is a pure function of rules and facts so every rule can be tested on its own.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The highest score a lead can have.
pub const MAX_SCORE: u8 = 100;

/// The largest number of points, up or down, that one rule may give.
const MAX_RULE_POINTS: i32 = 100;

const SHIPPED_RULES: &str = include_str!("../../config/scoring.toml");

/// When a lead plans to buy: the T of BANT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    Now,
    ThisQuarter,
    ThisYear,
    Later,
    #[default]
    Unknown,
}

impl Timing {
    pub const ALL: [Timing; 5] = [
        Timing::Now,
        Timing::ThisQuarter,
        Timing::ThisYear,
        Timing::Later,
        Timing::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Timing::Now => "now",
            Timing::ThisQuarter => "this_quarter",
            Timing::ThisYear => "this_year",
            Timing::Later => "later",
            Timing::Unknown => "unknown",
        }
    }

    fn in_words(self) -> &'static str {
        match self {
            Timing::Now => "now",
            Timing::ThisQuarter => "this quarter",
            Timing::ThisYear => "this year",
            Timing::Later => "later",
            Timing::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Timing {
    type Err = UnknownTiming;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|timing| timing.as_str() == text)
            .ok_or_else(|| UnknownTiming(text.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown timing {0:?}: expected now, this_quarter, this_year, later or unknown")]
pub struct UnknownTiming(pub String);

/// How ready a lead is to talk, from its score. Ordered: cold < warm < hot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Temperature {
    Cold,
    Warm,
    Hot,
}

impl Temperature {
    pub const ALL: [Temperature; 3] = [Temperature::Cold, Temperature::Warm, Temperature::Hot];

    pub fn as_str(self) -> &'static str {
        match self {
            Temperature::Cold => "cold",
            Temperature::Warm => "warm",
            Temperature::Hot => "hot",
        }
    }
}

impl fmt::Display for Temperature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Temperature {
    type Err = UnknownTemperature;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|temperature| temperature.as_str() == text)
            .ok_or_else(|| UnknownTemperature(text.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown temperature {0:?}: expected cold, warm or hot")]
pub struct UnknownTemperature(pub String);

/// Where a lead is in the funnel. `disqualified` is off the funnel and only ever set by people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    New,
    Mql,
    Sql,
    Opportunity,
    Customer,
    Disqualified,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::New,
        Stage::Mql,
        Stage::Sql,
        Stage::Opportunity,
        Stage::Customer,
        Stage::Disqualified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Mql => "mql",
            Stage::Sql => "sql",
            Stage::Opportunity => "opportunity",
            Stage::Customer => "customer",
            Stage::Disqualified => "disqualified",
        }
    }

    fn funnel_position(self) -> Option<u8> {
        match self {
            Stage::New => Some(0),
            Stage::Mql => Some(1),
            Stage::Sql => Some(2),
            Stage::Opportunity => Some(3),
            Stage::Customer => Some(4),
            Stage::Disqualified => None,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.as_str() == text)
            .ok_or_else(|| UnknownStage(text.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stage {0:?}: expected new, mql, sql, opportunity, customer or disqualified")]
pub struct UnknownStage(pub String);

/// A lead's qualification facts. A fact that was not sent is not confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Bant {
    pub budget: bool,
    pub authority: bool,
    pub need: bool,
    pub timing: Timing,
}

/// Everything about a lead that scoring looks at.
#[derive(Debug, Clone, Copy)]
pub struct LeadFacts<'a> {
    pub bant: Option<&'a Bant>,
    pub title: Option<&'a str>,
    pub source: Option<&'a str>,
    pub campaign: Option<&'a str>,
    pub attributes: &'a Map<String, Value>,
}

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

/// The rules of `config/scoring.toml`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringRules {
    bant: BantPoints,
    timing: TimingPoints,
    title_keywords: Vec<TitleKeyword>,
    sources: BTreeMap<String, NamedWeight>,
    campaigns: BTreeMap<String, NamedWeight>,
    attributes: Vec<AttributeRule>,
    temperature: TemperatureThresholds,
    mql_min_score: u8,
    sql_timing: Vec<Timing>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScoringConfigError {
    #[error("scoring rules could not be read: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("scoring rule `{key}` {problem}")]
    Invalid { key: String, problem: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    bant: BantPoints,
    timing: TimingPoints,
    #[serde(default)]
    title_keywords: BTreeMap<String, i32>,
    #[serde(default)]
    sources: BTreeMap<String, i32>,
    #[serde(default)]
    campaigns: BTreeMap<String, i32>,
    #[serde(default)]
    attributes: Vec<AttributeRule>,
    temperature: TemperatureThresholds,
    stages: StageRules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct BantPoints {
    budget: i32,
    authority: i32,
    need: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimingPoints {
    now: i32,
    this_quarter: i32,
    this_year: i32,
    later: i32,
    unknown: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemperatureThresholds {
    warm: u8,
    hot: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageRules {
    mql_min_score: u8,
    #[serde(default = "default_sql_timing")]
    sql_timing: Vec<Timing>,
}

fn default_sql_timing() -> Vec<Timing> {
    vec![Timing::Now, Timing::ThisQuarter]
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TitleKeyword {
    keyword: String,
    words: Vec<String>,
    points: i32,
}

/// A source or campaign weight, keyed elsewhere by its normalized name but reported as written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NamedWeight {
    name: String,
    points: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeRule {
    name: String,
    equals: AttributeValue,
    points: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "expected text, a number, true or false")]
enum AttributeValue {
    Flag(bool),
    Number(f64),
    Text(String),
}

impl AttributeValue {
    /// Lead attributes arrive from forms, CSV files and CRMs that disagree about types, so a
    /// number or a flag sent as text still matches, and text ignores case and outer spaces.
    fn matches(&self, actual: &Value) -> bool {
        match (self, actual) {
            (AttributeValue::Flag(expected), Value::Bool(flag)) => expected == flag,
            (AttributeValue::Flag(expected), Value::String(text)) => {
                text.trim().eq_ignore_ascii_case(flag_text(*expected))
            }
            (AttributeValue::Number(expected), Value::Number(number)) => {
                number.as_f64() == Some(*expected)
            }
            (AttributeValue::Number(expected), Value::String(text)) => text
                .trim()
                .parse::<f64>()
                .is_ok_and(|number| number == *expected),
            (AttributeValue::Text(expected), Value::String(text)) => {
                text.trim().to_lowercase() == expected.trim().to_lowercase()
            }
            (AttributeValue::Text(expected), Value::Number(number)) => {
                expected.trim() == number.to_string()
            }
            (AttributeValue::Text(expected), Value::Bool(flag)) => {
                expected.trim().eq_ignore_ascii_case(flag_text(*flag))
            }
            _ => false,
        }
    }
}

fn flag_text(flag: bool) -> &'static str {
    if flag {
        "true"
    } else {
        "false"
    }
}

impl Default for ScoringRules {
    fn default() -> Self {
        // The shipped file is compiled in and parsed by a unit test, so this cannot fail for
        // anything a user does.
        Self::from_toml(SHIPPED_RULES).expect("config/scoring.toml shipped with Convene is valid")
    }
}

impl ScoringRules {
    pub fn from_toml(text: &str) -> Result<Self, ScoringConfigError> {
        let file: RulesFile = toml::from_str(text)?;
        Self::checked(file)
    }

    pub fn temperature_for(&self, points: u8) -> Temperature {
        if points >= self.temperature.hot {
            Temperature::Hot
        } else if points >= self.temperature.warm {
            Temperature::Warm
        } else {
            Temperature::Cold
        }
    }

    fn qualified_stage(&self, bant: Option<&Bant>, points: u8) -> Stage {
        let sales_qualified = bant.is_some_and(|bant| {
            bant.budget && bant.authority && bant.need && self.sql_timing.contains(&bant.timing)
        });
        if sales_qualified {
            Stage::Sql
        } else if points >= self.mql_min_score {
            Stage::Mql
        } else {
            Stage::New
        }
    }

    fn checked(file: RulesFile) -> Result<Self, ScoringConfigError> {
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
    fn for_timing(&self, timing: Timing) -> i32 {
        match timing {
            Timing::Now => self.now,
            Timing::ThisQuarter => self.this_quarter,
            Timing::ThisYear => self.this_year,
            Timing::Later => self.later,
            Timing::Unknown => self.unknown,
        }
    }

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

/// The setting's name as it would be written in `scoring.toml`, so people can find it there.
fn toml_key(section: &str, name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        format!("{section}.{name}")
    } else {
        format!("{section}.{name:?}")
    }
}

/// Lowercase words, split at anything that is not a letter or digit: "C-level" is "c", "level".
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Sources and campaigns are typed by hand in many tools, so "Paid Search", "paid-search" and
/// "paid_search" are one name.
fn normalized_name(name: &str) -> String {
    words(name).join("_")
}

fn contains_phrase(title_words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && title_words
            .windows(phrase.len())
            .any(|window| window == phrase)
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

/// Moves a lead forward to the stage its facts qualify it for. Re-scoring never moves a lead
/// back, and stages people set (`opportunity`, `customer`, `disqualified`) are left alone.
pub fn advance_stage(current: Stage, qualified: Stage) -> Stage {
    let set_by_scoring = matches!(current, Stage::New | Stage::Mql | Stage::Sql);
    let further = matches!(
        (current.funnel_position(), qualified.funnel_position()),
        (Some(current), Some(qualified)) if qualified > current
    );
    if set_by_scoring && further {
        qualified
    } else {
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

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

    // Title seniority.

    fn title_points(rules: &ScoringRules, title: &str) -> u8 {
        let no_attributes = Map::new();
        score(
            rules,
            &LeadFacts {
                title: Some(title),
                ..lead(&no_attributes)
            },
        )
        .points
    }

    #[test]
    fn shipped_seniority_keywords_match_titles() {
        let rules = ScoringRules::default();
        let cases = [
            ("VP of Sales", 15),
            ("Vice President, Marketing", 15),
            ("Director of IT", 10),
            ("Chief Revenue Officer", 20),
            ("Head of Demand Generation", 10),
            ("CEO", 20),
            ("Co-founder & CTO", 20),
            ("CFO", 20),
            ("CMO", 20),
            ("COO", 20),
            ("CIO", 20),
            ("Software Engineer", 0),
        ];
        for (title, points) in cases {
            assert_eq!(title_points(&rules, title), points, "{title}");
        }
    }

    #[test]
    fn title_keywords_ignore_case() {
        let rules = ScoringRules::default();
        assert_eq!(title_points(&rules, "vp, sales"), 15);
        assert_eq!(title_points(&rules, "VICE PRESIDENT OF SALES"), 15);
        assert_eq!(title_points(&rules, "head of people"), 10);
    }

    #[test]
    fn title_keywords_match_whole_words_only() {
        let rules = ScoringRules::default();
        assert_eq!(title_points(&rules, "Headquarters Manager"), 0);
        assert_eq!(title_points(&rules, "Directory Administrator"), 0);
        assert_eq!(title_points(&rules, "Mischief Coordinator"), 0);
        assert_eq!(title_points(&rules, "President"), 0);
        assert_eq!(title_points(&rules, "Vice Chair"), 0);
    }

    #[test]
    fn best_title_keyword_counts_not_the_sum() {
        let rules = ScoringRules::default();
        assert_eq!(title_points(&rules, "VP and Director of Sales"), 15);
        assert_eq!(title_points(&rules, "Head of Growth, Chief of Staff"), 20);
    }

    #[test]
    fn negative_title_keyword_applies_when_it_is_the_only_match() {
        let rules = base_with("[title_keywords]\nIntern = -5\nVP = 15\n[sources]\nevent = 10");
        let no_attributes = Map::new();
        let facts = LeadFacts {
            title: Some("Marketing Intern"),
            source: Some("event"),
            ..lead(&no_attributes)
        };
        assert_eq!(score(&rules, &facts).points, 5);
        assert_eq!(title_points(&rules, "Intern to the VP"), 15);
    }

    #[test]
    fn title_explanation_names_the_keyword() {
        let no_attributes = Map::new();
        let score = score(
            &ScoringRules::default(),
            &LeadFacts {
                title: Some("Vice President of Sales"),
                ..lead(&no_attributes)
            },
        );
        assert_eq!(
            score.explanation,
            [ScoreContribution {
                rule: "title_keywords.\"Vice President\"".into(),
                detail: "title \"Vice President of Sales\" contains \"Vice President\"".into(),
                points: 15,
            }]
        );
    }

    // Sources, campaigns and attributes.

    #[test]
    fn source_weights_apply_ignoring_case_and_punctuation() {
        let rules = ScoringRules::default();
        let no_attributes = Map::new();
        let cases = [
            ("webinar", 8),
            ("Webinar", 8),
            ("Paid Search", 3),
            ("paid-search", 3),
            (" referral ", 15),
            ("cold call", 0),
        ];
        for (source, points) in cases {
            let facts = LeadFacts {
                source: Some(source),
                ..lead(&no_attributes)
            };
            assert_eq!(score(&rules, &facts).points, points, "{source}");
        }
    }

    #[test]
    fn negative_source_weight_lowers_the_score() {
        let no_attributes = Map::new();
        let facts = bant(true, true, false, Timing::Unknown);
        let score = score(
            &ScoringRules::default(),
            &LeadFacts {
                bant: Some(&facts),
                source: Some("purchased_list"),
                ..lead(&no_attributes)
            },
        );
        assert_eq!(score.points, 20);
        assert_eq!(
            rule_names(&score),
            ["bant.budget", "bant.authority", "sources.purchased_list"]
        );
    }

    #[test]
    fn campaign_weights_apply() {
        let rules = base_with("[campaigns]\n\"2025 Spring Summit\" = 12\n");
        let no_attributes = Map::new();
        let score = score(
            &rules,
            &LeadFacts {
                campaign: Some("2025-spring-summit"),
                ..lead(&no_attributes)
            },
        );
        assert_eq!(score.points, 12);
        assert_eq!(
            score.explanation,
            [ScoreContribution {
                rule: "campaigns.\"2025 Spring Summit\"".into(),
                detail: "campaign \"2025-spring-summit\"".into(),
                points: 12,
            }]
        );
    }

    fn attribute_points(rules: &ScoringRules, attributes: Value) -> u8 {
        let Value::Object(attributes) = attributes else {
            panic!("attributes must be an object");
        };
        score(rules, &lead(&attributes)).points
    }

    #[test]
    fn attribute_text_matches_ignoring_case_and_spaces() {
        let rules = ScoringRules::default();
        assert_eq!(
            attribute_points(&rules, json!({"company_size": "enterprise"})),
            10
        );
        assert_eq!(
            attribute_points(&rules, json!({"company_size": " Enterprise "})),
            10
        );
        assert_eq!(
            attribute_points(&rules, json!({"company_size": "mid_market"})),
            5
        );
        assert_eq!(attribute_points(&rules, json!({"company_size": "smb"})), 0);
        assert_eq!(
            attribute_points(&rules, json!({"Company_Size": "enterprise"})),
            0
        );
        assert_eq!(
            attribute_points(&rules, json!({"industry": "enterprise"})),
            0
        );
    }

    #[test]
    fn attribute_numbers_and_flags_match_when_sent_as_text() {
        let rules = base_with(
            "[[attributes]]\nname = \"employees\"\nequals = 500\npoints = 7\n\
             [[attributes]]\nname = \"uses_crm\"\nequals = true\npoints = 4\n\
             [[attributes]]\nname = \"plan\"\nequals = \"2\"\npoints = 3\n",
        );
        assert_eq!(attribute_points(&rules, json!({"employees": 500})), 7);
        assert_eq!(attribute_points(&rules, json!({"employees": 500.0})), 7);
        assert_eq!(attribute_points(&rules, json!({"employees": "500"})), 7);
        assert_eq!(attribute_points(&rules, json!({"employees": 499})), 0);
        assert_eq!(attribute_points(&rules, json!({"employees": true})), 0);
        assert_eq!(attribute_points(&rules, json!({"uses_crm": true})), 4);
        assert_eq!(attribute_points(&rules, json!({"uses_crm": "TRUE"})), 4);
        assert_eq!(attribute_points(&rules, json!({"uses_crm": false})), 0);
        assert_eq!(attribute_points(&rules, json!({"plan": 2})), 3);
        assert_eq!(attribute_points(&rules, json!({"plan": ["2"]})), 0);
        assert_eq!(attribute_points(&rules, json!({"plan": null})), 0);
    }

    #[test]
    fn attribute_explanation_shows_the_value() {
        let Value::Object(attributes) = json!({"company_size": "Enterprise"}) else {
            panic!("attributes must be an object");
        };
        let score = score(&ScoringRules::default(), &lead(&attributes));
        assert_eq!(
            score.explanation,
            [ScoreContribution {
                rule: "attributes.company_size".into(),
                detail: "company_size is \"Enterprise\"".into(),
                points: 10,
            }]
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

    // Validation.

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

    // Names stored as text.

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

    // Properties.

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
}

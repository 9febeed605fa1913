//! The scoring rules: the shape of `config/scoring.toml`, the rules shipped with Convene, and the
//! thresholds that turn points into a temperature and a stage.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::facts::{Bant, Timing};
use super::matching::AttributeValue;
use super::stages::{Stage, Temperature};

pub(super) const SHIPPED_RULES: &str = include_str!("../../../config/scoring.toml");

/// The rules of `config/scoring.toml`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringRules {
    pub(super) bant: BantPoints,
    pub(super) timing: TimingPoints,
    pub(super) title_keywords: Vec<TitleKeyword>,
    pub(super) sources: BTreeMap<String, NamedWeight>,
    pub(super) campaigns: BTreeMap<String, NamedWeight>,
    pub(super) attributes: Vec<AttributeRule>,
    pub(super) temperature: TemperatureThresholds,
    pub(super) mql_min_score: u8,
    pub(super) sql_timing: Vec<Timing>,
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
pub(super) struct RulesFile {
    pub(super) bant: BantPoints,
    pub(super) timing: TimingPoints,
    #[serde(default)]
    pub(super) title_keywords: BTreeMap<String, i32>,
    #[serde(default)]
    pub(super) sources: BTreeMap<String, i32>,
    #[serde(default)]
    pub(super) campaigns: BTreeMap<String, i32>,
    #[serde(default)]
    pub(super) attributes: Vec<AttributeRule>,
    pub(super) temperature: TemperatureThresholds,
    pub(super) stages: StageRules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BantPoints {
    pub(super) budget: i32,
    pub(super) authority: i32,
    pub(super) need: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TimingPoints {
    pub(super) now: i32,
    pub(super) this_quarter: i32,
    pub(super) this_year: i32,
    pub(super) later: i32,
    pub(super) unknown: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TemperatureThresholds {
    pub(super) warm: u8,
    pub(super) hot: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StageRules {
    pub(super) mql_min_score: u8,
    #[serde(default = "default_sql_timing")]
    pub(super) sql_timing: Vec<Timing>,
}

fn default_sql_timing() -> Vec<Timing> {
    vec![Timing::Now, Timing::ThisQuarter]
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TitleKeyword {
    pub(super) keyword: String,
    pub(super) words: Vec<String>,
    pub(super) points: i32,
}

/// A source or campaign weight, keyed elsewhere by its normalized name but reported as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NamedWeight {
    pub(super) name: String,
    pub(super) points: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AttributeRule {
    pub(super) name: String,
    pub(super) equals: AttributeValue,
    pub(super) points: i32,
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

    pub(super) fn qualified_stage(&self, bant: Option<&Bant>, points: u8) -> Stage {
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
}

impl TimingPoints {
    pub(super) fn for_timing(&self, timing: Timing) -> i32 {
        match timing {
            Timing::Now => self.now,
            Timing::ThisQuarter => self.this_quarter,
            Timing::ThisYear => self.this_year,
            Timing::Later => self.later,
            Timing::Unknown => self.unknown,
        }
    }
}

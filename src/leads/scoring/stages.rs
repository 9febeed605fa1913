//! Where a lead stands: its temperature, its stage in the funnel, and how scoring moves the stage.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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

    pub(super) fn funnel_position(self) -> Option<u8> {
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

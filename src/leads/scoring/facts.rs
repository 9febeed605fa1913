//! What scoring knows about a lead: its BANT facts, buying timing and the rest of its record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

    pub(super) fn in_words(self) -> &'static str {
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

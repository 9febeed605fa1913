//! Lead scoring: turns what is known about a lead into a score from 0 to 100, a temperature and
//! the stage those facts qualify it for, with the points of every rule that matched.
//!
//! The rules are data (`config/scoring.toml`) so marketing ops can tune them without a release,
//! and scoring is a pure function of rules and facts so every rule can be tested on its own.
//!
//! # Parts
//! `facts` is what is known about a lead and `stages` where it stands; `rules` is the shape of
//! `scoring.toml`, `validation` what it may say, and `matching` how its names meet what leads
//! send; `points` adds it all up.

mod facts;
mod matching;
mod points;
mod rules;
mod stages;
mod validation;

#[cfg(test)]
mod tests;

pub use facts::{Bant, LeadFacts, Timing, UnknownTiming};
pub use points::{score, Score, ScoreContribution};
pub use rules::{ScoringConfigError, ScoringRules};
pub use stages::{advance_stage, Stage, Temperature, UnknownStage, UnknownTemperature};

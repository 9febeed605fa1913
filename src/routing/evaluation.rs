//! Applying a router's rules to a lead, with the explanation of every condition: what the lead
//! had, what the rule asked, and whether it held.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::leads::model::Lead;
use crate::routing::rules::{Action, Condition, Op, RuleSet, When, UTM_FIELDS};

/// The fields of a lead that rules read, by their rule names. A missing field is absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadFields(BTreeMap<String, Value>);

impl LeadFields {
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    pub fn set(&mut self, field: &str, value: Value) {
        self.0.insert(field.to_owned(), value);
    }

    /// A lead's fields. `country`, `company_size` and the UTMs are not columns of a lead: they
    /// come from its attributes of the same name (a form's `a_country`, or `utm_source` sent
    /// with the submission).
    pub fn of(lead: &Lead) -> Self {
        let mut fields = Self::default();
        let mut text = |name: &str, value: Option<&str>| {
            if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
                fields.set(name, Value::String(value.to_owned()));
            }
        };
        text("company", lead.company.as_deref());
        text("title", lead.title.as_deref());
        text("source", lead.source.as_deref());
        text("campaign", lead.campaign.as_deref());
        text("email_domain", email_domain(&lead.email));
        text("temperature", Some(lead.temperature.as_str()));
        text("stage", Some(lead.stage.as_str()));
        text("bant.timing", Some(lead.bant.timing.as_str()));
        fields.set("score", Value::from(lead.score));
        fields.set("bant.budget", Value::Bool(lead.bant.budget));
        fields.set("bant.authority", Value::Bool(lead.bant.authority));
        fields.set("bant.need", Value::Bool(lead.bant.need));
        for name in ["country", "company_size"].into_iter().chain(UTM_FIELDS) {
            if let Some(value) = lead.attributes.get(name).filter(|v| present(v)) {
                fields.set(name, value.clone());
            }
        }
        for (name, value) in &lead.attributes {
            if present(value) {
                fields.set(&format!("attributes.{name}"), value.clone());
            }
        }
        fields
    }
}

/// The domain of an email address, lower-cased.
pub fn email_domain(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, domain)| domain)
}

fn present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.trim().is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

/// One condition's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ConditionResult {
    pub field: String,
    #[schema(value_type = String, example = "gte")]
    pub op: Op,
    #[schema(value_type = Object)]
    pub value: Value,
    /// What the lead had; `null` when the field was absent.
    #[schema(value_type = Object, nullable)]
    pub actual: Value,
    pub result: bool,
}

/// One rule's verdict with every condition it holds, nested groups flattened in order.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RuleEvaluation {
    /// The rule's index, from 0.
    pub rule: usize,
    pub matched: bool,
    pub conditions: Vec<ConditionResult>,
}

/// Which rule decided: its index, or the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedRule {
    Rule(usize),
    Fallback,
}

impl MatchedRule {
    /// As the API shows it: the index, or `"fallback"`.
    pub fn to_json(self) -> Value {
        match self {
            MatchedRule::Rule(index) => Value::from(index),
            MatchedRule::Fallback => Value::String("fallback".into()),
        }
    }
}

/// What the rules made of a lead: the action and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict<'a> {
    pub matched_rule: MatchedRule,
    pub action: &'a Action,
    /// The rules tried, in order, up to and including the one that matched.
    pub evaluations: Vec<RuleEvaluation>,
}

/// Tries the rules in order; the first that holds decides, else the fallback does.
pub fn evaluate<'a>(rule_set: &'a RuleSet, lead: &LeadFields) -> Verdict<'a> {
    let mut evaluations = Vec::new();
    for (index, rule) in rule_set.rules.iter().enumerate() {
        let mut conditions = Vec::new();
        let matched = holds(&rule.when, lead, &mut conditions);
        evaluations.push(RuleEvaluation {
            rule: index,
            matched,
            conditions,
        });
        if matched {
            return Verdict {
                matched_rule: MatchedRule::Rule(index),
                action: &rule.then,
                evaluations,
            };
        }
    }
    Verdict {
        matched_rule: MatchedRule::Fallback,
        action: &rule_set.fallback,
        evaluations,
    }
}

/// Whether `when` holds. Every condition is evaluated, even after a group's outcome is known,
/// so the explanation shows the whole rule.
fn holds(when: &When, lead: &LeadFields, results: &mut Vec<ConditionResult>) -> bool {
    match when {
        When::All(parts) => {
            let verdicts: Vec<bool> = parts
                .iter()
                .map(|part| holds(part, lead, results))
                .collect();
            verdicts.iter().all(|held| *held)
        }
        When::Any(parts) => {
            let verdicts: Vec<bool> = parts
                .iter()
                .map(|part| holds(part, lead, results))
                .collect();
            verdicts.iter().any(|held| *held)
        }
        When::Condition(condition) => {
            let actual = lead.get(&condition.field);
            let result = compare(condition, actual);
            results.push(ConditionResult {
                field: condition.field.clone(),
                op: condition.op,
                value: condition.value.clone(),
                actual: actual.cloned().unwrap_or(Value::Null),
                result,
            });
            result
        }
    }
}

/// One condition against the lead's value. Texts compare without case or surrounding spaces;
/// numbers compare as numbers, also when one side is a numeric text (`company_size` "250").
pub fn compare(condition: &Condition, actual: Option<&Value>) -> bool {
    let expected = &condition.value;
    match condition.op {
        Op::Exists => {
            let wanted = expected.as_bool().unwrap_or(true);
            actual.is_some_and(present) == wanted
        }
        Op::Eq => actual.is_some_and(|actual| same(actual, expected)),
        Op::Neq => !actual.is_some_and(|actual| same(actual, expected)),
        Op::In => actual.is_some_and(|actual| one_of(actual, expected)),
        Op::NotIn => !actual.is_some_and(|actual| one_of(actual, expected)),
        Op::Gte => {
            matches!((actual.and_then(number), number(expected)), (Some(a), Some(e)) if a >= e)
        }
        Op::Lte => {
            matches!((actual.and_then(number), number(expected)), (Some(a), Some(e)) if a <= e)
        }
        Op::Contains => {
            let needle = expected.as_str().map(fold).unwrap_or_default();
            match actual {
                Some(Value::String(text)) => fold(text).contains(&needle),
                Some(Value::Array(items)) => items.iter().any(|item| same(item, expected)),
                _ => false,
            }
        }
    }
}

fn one_of(actual: &Value, expected: &Value) -> bool {
    expected
        .as_array()
        .is_some_and(|options| options.iter().any(|option| same(actual, option)))
}

fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => fold(a) == fold(e),
        (Value::Bool(a), Value::Bool(e)) => a == e,
        (Value::String(text), Value::Bool(flag)) | (Value::Bool(flag), Value::String(text)) => {
            fold(text) == flag.to_string()
        }
        _ => match (number(actual), number(expected)) {
            (Some(a), Some(e)) => a == e,
            _ => false,
        },
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

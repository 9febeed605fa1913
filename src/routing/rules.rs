//! A router's rules as data: ordered `when` → `then` pairs over lead fields, and a fallback.
//! Parsing walks the submitted JSON by hand so that every problem names where it is
//! (`rules[1].when.all[0].field`), with rule indexes counted from 0.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::leads::scoring::{Stage, Temperature, Timing};
use crate::values::required_text;

pub const MAX_RULES: usize = 100;
pub const MAX_CONDITIONS_PER_GROUP: usize = 50;
pub const MAX_NESTING: usize = 5;
pub const MAX_LIST_VALUES: usize = 200;
pub const MAX_VALUE_CHARS: usize = 200;
pub const MAX_ATTRIBUTE_NAME_CHARS: usize = 64;
pub const MAX_MESSAGE_CHARS: usize = 500;
pub const MAX_URL_CHARS: usize = 2000;

/// The lead fields rules may read, as the contract names them.
pub const PLAIN_FIELDS: [&str; 10] = [
    "score",
    "temperature",
    "stage",
    "country",
    "company",
    "company_size",
    "title",
    "email_domain",
    "source",
    "campaign",
];
pub const UTM_FIELDS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];
pub const BANT_FACTS: [&str; 4] = ["budget", "authority", "need", "timing"];

/// How a condition compares a lead's field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Neq,
    In,
    NotIn,
    Gte,
    Lte,
    Contains,
    Exists,
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::Eq,
        Op::Neq,
        Op::In,
        Op::NotIn,
        Op::Gte,
        Op::Lte,
        Op::Contains,
        Op::Exists,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Gte => "gte",
            Op::Lte => "lte",
            Op::Contains => "contains",
            Op::Exists => "exists",
        }
    }

    fn parse(raw: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == raw)
    }
}

/// One comparison: `{field, op, value}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    pub value: Value,
}

/// When a rule applies: every part, any part, or one condition; groups nest.
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    All(Vec<When>),
    Any(Vec<When>),
    Condition(Condition),
}

/// What a router does with a lead.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Offer the meeting type's times at once, with these hosts (all of the type's when `None`).
    Book {
        meeting_type_id: String,
        host_ids: Option<Vec<String>>,
        prefer_owner: bool,
    },
    /// Ask for the meeting through the approval workflow.
    Request { meeting_type_id: String },
    /// Turn the lead away politely.
    Disqualify {
        message: String,
        redirect_url: Option<String>,
    },
}

impl Action {
    pub fn kind(&self) -> DecisionKind {
        match self {
            Action::Book { .. } => DecisionKind::Book,
            Action::Request { .. } => DecisionKind::Request,
            Action::Disqualify { .. } => DecisionKind::Disqualified,
        }
    }
}

/// The decision a router's action amounts to, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Book,
    Request,
    Disqualified,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Book => "book",
            DecisionKind::Request => "request",
            DecisionKind::Disqualified => "disqualified",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub when: When,
    pub then: Action,
}

/// A router's whole decision logic: the rules in order, then the fallback.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub fallback: Action,
}

/// What the rules may refer to outside themselves: the meeting types and their hosts.
pub trait MeetingTypeCatalogue {
    /// The hosts of the meeting type `id`, or `None` when there is no such active type.
    fn hosts_of(&self, id: &str) -> Option<Vec<String>>;

    /// Whether references are taken as they are (rules read back from storage).
    fn trusts_saved_rules(&self) -> bool {
        false
    }
}

/// For rules read back from storage, checked when they were saved: a meeting type that has
/// gone since is found when the rule is acted on, not when it is read.
pub struct AlreadyChecked;

impl MeetingTypeCatalogue for AlreadyChecked {
    fn hosts_of(&self, _id: &str) -> Option<Vec<String>> {
        None
    }

    fn trusts_saved_rules(&self) -> bool {
        true
    }
}

/// Problems found in submitted rules, each at its JSON location.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleErrors(Vec<(String, String)>);

impl RuleErrors {
    pub fn add(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.0.push((at.into(), message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem as `(location, message)`, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(at, m)| (at.as_str(), m.as_str()))
    }
}

/// Parses `rules` (an array of `{when, then}`) and `fallback` against the meeting types.
pub fn parse_rule_set(
    rules: &Value,
    fallback: &Value,
    catalogue: &dyn MeetingTypeCatalogue,
) -> Result<RuleSet, RuleErrors> {
    let mut errors = RuleErrors::default();
    let parsed_rules = parse_rules(rules, catalogue, &mut errors);
    let fallback = parse_action(fallback, "fallback", catalogue, &mut errors);
    match (parsed_rules, fallback) {
        (Some(rules), Some(fallback)) if errors.is_empty() => Ok(RuleSet { rules, fallback }),
        _ => Err(errors),
    }
}

fn parse_rules(
    rules: &Value,
    catalogue: &dyn MeetingTypeCatalogue,
    errors: &mut RuleErrors,
) -> Option<Vec<Rule>> {
    let Some(items) = rules.as_array() else {
        errors.add("rules", "must be an array of {when, then}");
        return None;
    };
    if items.len() > MAX_RULES {
        errors.add("rules", format!("may hold at most {MAX_RULES} rules"));
        return None;
    }
    let mut parsed = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let at = format!("rules[{index}]");
        let Some(object) = item.as_object() else {
            errors.add(at, "must be an object {when, then}");
            continue;
        };
        refuse_unknown_keys(object, &["when", "then"], &at, errors);
        let when = match object.get("when") {
            Some(when) => parse_when(when, &format!("{at}.when"), 0, errors),
            None => {
                errors.add(format!("{at}.when"), "is required");
                None
            }
        };
        let then = match object.get("then") {
            Some(then) => parse_action(then, &format!("{at}.then"), catalogue, errors),
            None => {
                errors.add(format!("{at}.then"), "is required");
                None
            }
        };
        if let (Some(when), Some(then)) = (when, then) {
            parsed.push(Rule { when, then });
        }
    }
    Some(parsed)
}

fn refuse_unknown_keys(
    object: &Map<String, Value>,
    known: &[&str],
    at: &str,
    errors: &mut RuleErrors,
) {
    for key in object.keys().filter(|key| !known.contains(&key.as_str())) {
        errors.add(
            format!("{at}.{}", printable_key(key)),
            format!("is not known here (expected {})", known.join(", ")),
        );
    }
}

/// A key as it may appear in an error location: hostile text is not echoed back.
fn printable_key(key: &str) -> String {
    match required_text(key, MAX_ATTRIBUTE_NAME_CHARS) {
        Ok(key) if !key.contains(['.', '[', ']']) => key,
        _ => "?".into(),
    }
}

fn parse_when(value: &Value, at: &str, depth: usize, errors: &mut RuleErrors) -> Option<When> {
    let Some(object) = value.as_object() else {
        errors.add(
            at,
            "must be {\"all\": [...]}, {\"any\": [...]} or {field, op, value}",
        );
        return None;
    };
    let group = |key: &str, errors: &mut RuleErrors| -> Option<Vec<When>> {
        let at = format!("{at}.{key}");
        if depth + 1 > MAX_NESTING {
            errors.add(&at, format!("nests deeper than {MAX_NESTING} levels"));
            return None;
        }
        let Some(parts) = object.get(key).and_then(Value::as_array) else {
            errors.add(&at, "must be an array of conditions or groups");
            return None;
        };
        if parts.is_empty() {
            errors.add(&at, "must hold at least one condition");
            return None;
        }
        if parts.len() > MAX_CONDITIONS_PER_GROUP {
            errors.add(
                &at,
                format!("may hold at most {MAX_CONDITIONS_PER_GROUP} parts"),
            );
            return None;
        }
        let parsed: Vec<Option<When>> = parts
            .iter()
            .enumerate()
            .map(|(index, part)| parse_when(part, &format!("{at}[{index}]"), depth + 1, errors))
            .collect();
        parsed.into_iter().collect()
    };
    if object.contains_key("all") {
        refuse_unknown_keys(object, &["all"], at, errors);
        group("all", errors).map(When::All)
    } else if object.contains_key("any") {
        refuse_unknown_keys(object, &["any"], at, errors);
        group("any", errors).map(When::Any)
    } else {
        parse_condition(object, at, errors).map(When::Condition)
    }
}

fn parse_condition(
    object: &Map<String, Value>,
    at: &str,
    errors: &mut RuleErrors,
) -> Option<Condition> {
    refuse_unknown_keys(object, &["field", "op", "value"], at, errors);
    let field = match object.get("field").and_then(Value::as_str) {
        Some(raw) => check_field(raw)
            .map_err(|message| errors.add(format!("{at}.field"), message))
            .ok(),
        None => {
            errors.add(format!("{at}.field"), "is required (a lead field name)");
            None
        }
    };
    let op = match object.get("op").and_then(Value::as_str) {
        Some(raw) => Op::parse(raw).or_else(|| {
            errors.add(
                format!("{at}.op"),
                format!(
                    "is not an operator (expected one of {})",
                    Op::ALL.map(Op::as_str).join(", ")
                ),
            );
            None
        }),
        None => {
            errors.add(format!("{at}.op"), "is required");
            None
        }
    };
    let (field, op) = (field?, op?);
    let value = check_value(&field, op, object.get("value"))
        .map_err(|message| errors.add(format!("{at}.value"), message))
        .ok()?;
    Some(Condition { field, op, value })
}

/// The field name if rules may read it.
fn check_field(raw: &str) -> Result<String, String> {
    if PLAIN_FIELDS.contains(&raw) || UTM_FIELDS.contains(&raw) {
        return Ok(raw.to_owned());
    }
    if let Some(fact) = raw.strip_prefix("bant.") {
        return if BANT_FACTS.contains(&fact) {
            Ok(raw.to_owned())
        } else {
            Err(format!(
                "is not a BANT fact (expected bant.{})",
                BANT_FACTS.join(", bant.")
            ))
        };
    }
    if let Some(name) = raw.strip_prefix("attributes.") {
        return match required_text(name, MAX_ATTRIBUTE_NAME_CHARS) {
            Ok(clean) if clean == name => Ok(raw.to_owned()),
            Ok(_) => Err("names an attribute with surrounding spaces".into()),
            Err(message) => Err(format!("names an attribute that {message}")),
        };
    }
    Err(format!(
        "is not a lead field (expected one of {}, utm_*, bant.<fact> or attributes.<name>)",
        PLAIN_FIELDS.join(", ")
    ))
}

/// The value a condition compares with, checked for its operator (and, for fields with a fixed
/// vocabulary, for its words).
fn check_value(field: &str, op: Op, value: Option<&Value>) -> Result<Value, String> {
    match op {
        Op::Exists => match value {
            None => Ok(Value::Bool(true)),
            Some(Value::Bool(flag)) => Ok(Value::Bool(*flag)),
            Some(_) => Err("must be true or false for exists".into()),
        },
        Op::Gte | Op::Lte => match value {
            Some(Value::Number(number)) if number.as_f64().is_some() => {
                Ok(Value::Number(number.clone()))
            }
            _ => Err(format!("must be a number for {}", op.as_str())),
        },
        Op::Contains => match value {
            Some(Value::String(text)) => check_text_value(field, text, false),
            _ => Err("must be a text for contains".into()),
        },
        Op::Eq | Op::Neq => match value {
            Some(scalar) => check_scalar(field, scalar),
            None => Err(format!("is required for {}", op.as_str())),
        },
        Op::In | Op::NotIn => match value {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_LIST_VALUES => {
                let mut checked = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    checked.push(
                        check_scalar(field, item)
                            .map_err(|message| format!("[{index}] {message}"))?,
                    );
                }
                Ok(Value::Array(checked))
            }
            _ => Err(format!(
                "must be a list of 1 to {MAX_LIST_VALUES} values for {}",
                op.as_str()
            )),
        },
    }
}

fn check_scalar(field: &str, value: &Value) -> Result<Value, String> {
    match value {
        Value::String(text) => check_text_value(field, text, true),
        Value::Number(_) | Value::Bool(_) => Ok(value.clone()),
        _ => Err("must be a text, a number or true/false".into()),
    }
}

fn check_text_value(field: &str, text: &str, whole_word: bool) -> Result<Value, String> {
    let clean = required_text(text, MAX_VALUE_CHARS)?;
    if whole_word {
        let vocabulary: Option<Vec<&str>> = match field {
            "temperature" => Some(Temperature::ALL.map(Temperature::as_str).to_vec()),
            "stage" => Some(Stage::ALL.map(Stage::as_str).to_vec()),
            "bant.timing" => Some(Timing::ALL.map(Timing::as_str).to_vec()),
            _ => None,
        };
        if let Some(words) = vocabulary {
            if !words.contains(&clean.as_str()) {
                return Err(format!(
                    "is not a {field} (expected one of {})",
                    words.join(", ")
                ));
            }
        }
    }
    Ok(Value::String(clean))
}

fn parse_action(
    value: &Value,
    at: &str,
    catalogue: &dyn MeetingTypeCatalogue,
    errors: &mut RuleErrors,
) -> Option<Action> {
    let kinds = ["book", "request", "disqualify"];
    let Some((kind, body)) = value
        .as_object()
        .filter(|object| object.len() == 1)
        .and_then(|object| object.iter().next())
        .filter(|(kind, _)| kinds.contains(&kind.as_str()))
    else {
        errors.add(
            at,
            "must be one of {\"book\": {...}}, {\"request\": {...}} or {\"disqualify\": {...}}",
        );
        return None;
    };
    let at = format!("{at}.{kind}");
    let Some(body) = body.as_object() else {
        errors.add(&at, "must be an object");
        return None;
    };
    match kind.as_str() {
        "book" => {
            refuse_unknown_keys(
                body,
                &["meeting_type_id", "host_ids", "prefer_owner"],
                &at,
                errors,
            );
            let (meeting_type_id, hosts) = meeting_type(body, &at, catalogue, errors)?;
            let host_ids = match body.get("host_ids") {
                None | Some(Value::Null) => None,
                Some(value) => Some(chosen_hosts(
                    value,
                    &hosts,
                    catalogue.trusts_saved_rules(),
                    &format!("{at}.host_ids"),
                    errors,
                )?),
            };
            let prefer_owner = match body.get("prefer_owner") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(flag)) => *flag,
                Some(_) => {
                    errors.add(format!("{at}.prefer_owner"), "must be true or false");
                    return None;
                }
            };
            Some(Action::Book {
                meeting_type_id,
                host_ids,
                prefer_owner,
            })
        }
        "request" => {
            refuse_unknown_keys(body, &["meeting_type_id"], &at, errors);
            let (meeting_type_id, _) = meeting_type(body, &at, catalogue, errors)?;
            Some(Action::Request { meeting_type_id })
        }
        _ => {
            refuse_unknown_keys(body, &["message", "redirect_url"], &at, errors);
            let message = match body.get("message").and_then(Value::as_str) {
                Some(text) => crate::values::optional_multiline_text(Some(text), MAX_MESSAGE_CHARS)
                    .and_then(|text| text.ok_or_else(|| "is required".to_owned()))
                    .map_err(|m| errors.add(format!("{at}.message"), m))
                    .ok(),
                None => {
                    errors.add(format!("{at}.message"), "is required");
                    None
                }
            };
            let redirect_url = match body.get("redirect_url") {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(raw)) => check_redirect_url(raw)
                    .map(Some)
                    .map_err(|m| errors.add(format!("{at}.redirect_url"), m))
                    .ok(),
                Some(_) => {
                    errors.add(format!("{at}.redirect_url"), "must be an http(s) URL");
                    None
                }
            };
            Some(Action::Disqualify {
                message: message?,
                redirect_url: redirect_url?,
            })
        }
    }
}

fn meeting_type(
    body: &Map<String, Value>,
    at: &str,
    catalogue: &dyn MeetingTypeCatalogue,
    errors: &mut RuleErrors,
) -> Option<(String, Vec<String>)> {
    let at = format!("{at}.meeting_type_id");
    let Some(id) = body.get("meeting_type_id").and_then(Value::as_str) else {
        errors.add(at, "is required");
        return None;
    };
    match catalogue.hosts_of(id) {
        Some(hosts) => Some((id.to_owned(), hosts)),
        None if catalogue.trusts_saved_rules() => Some((id.to_owned(), Vec::new())),
        None => {
            errors.add(at, "names no active meeting type");
            None
        }
    }
}

fn chosen_hosts(
    value: &Value,
    hosts: &[String],
    trusted: bool,
    at: &str,
    errors: &mut RuleErrors,
) -> Option<Vec<String>> {
    let Some(items) = value.as_array().filter(|items| !items.is_empty()) else {
        errors.add(at, "must be a non-empty list of host ids");
        return None;
    };
    let mut chosen: Vec<String> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(id) if trusted || hosts.iter().any(|host| host == id) => {
                if !chosen.iter().any(|known| known == id) {
                    chosen.push(id.to_owned());
                }
            }
            _ => {
                errors.add(
                    format!("{at}[{index}]"),
                    "is not a host of the meeting type",
                );
                return None;
            }
        }
    }
    Some(chosen)
}

fn check_redirect_url(raw: &str) -> Result<String, String> {
    let text = required_text(raw, MAX_URL_CHARS)?;
    match url::Url::parse(&text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(url.to_string())
        }
        _ => Err("must be an absolute http(s) URL".into()),
    }
}

/// Rules back as the API shows them (and as they are stored).
pub fn rules_to_json(rules: &[Rule]) -> Value {
    Value::Array(
        rules
            .iter()
            .map(|rule| serde_json::json!({"when": when_to_json(&rule.when), "then": action_to_json(&rule.then)}))
            .collect(),
    )
}

pub fn when_to_json(when: &When) -> Value {
    match when {
        When::All(parts) => {
            serde_json::json!({"all": parts.iter().map(when_to_json).collect::<Vec<_>>()})
        }
        When::Any(parts) => {
            serde_json::json!({"any": parts.iter().map(when_to_json).collect::<Vec<_>>()})
        }
        When::Condition(condition) => serde_json::json!({
            "field": condition.field, "op": condition.op.as_str(), "value": condition.value
        }),
    }
}

pub fn action_to_json(action: &Action) -> Value {
    match action {
        Action::Book {
            meeting_type_id,
            host_ids,
            prefer_owner,
        } => {
            let mut body = serde_json::json!({"meeting_type_id": meeting_type_id, "prefer_owner": prefer_owner});
            if let Some(hosts) = host_ids {
                body["host_ids"] = serde_json::json!(hosts);
            }
            serde_json::json!({ "book": body })
        }
        Action::Request { meeting_type_id } => {
            serde_json::json!({"request": {"meeting_type_id": meeting_type_id}})
        }
        Action::Disqualify {
            message,
            redirect_url,
        } => {
            let mut body = serde_json::json!({ "message": message });
            if let Some(url) = redirect_url {
                body["redirect_url"] = serde_json::json!(url);
            }
            serde_json::json!({ "disqualify": body })
        }
    }
}

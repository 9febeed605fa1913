//! Rules in words, for people reading a router in the admin UI: "score ≥ 60 and (country is
//! DE or utm_source is linkedin)".

use std::collections::HashMap;

use serde_json::Value;

use crate::routing::rules::{Action, Condition, Op, When};

/// A condition or group in words; groups inside groups are bracketed.
pub fn describe_when(when: &When) -> String {
    describe_nested(when, false)
}

fn describe_nested(when: &When, nested: bool) -> String {
    let (parts, joiner) = match when {
        When::Condition(condition) => return describe_condition(condition),
        When::All(parts) => (parts, " and "),
        When::Any(parts) => (parts, " or "),
    };
    let text = parts
        .iter()
        .map(|part| describe_nested(part, true))
        .collect::<Vec<_>>()
        .join(joiner);
    if nested && parts.len() > 1 {
        format!("({text})")
    } else {
        text
    }
}

fn describe_condition(condition: &Condition) -> String {
    let field = &condition.field;
    let value = describe_value(&condition.value);
    match condition.op {
        Op::Eq => format!("{field} is {value}"),
        Op::Neq => format!("{field} is not {value}"),
        Op::In => format!("{field} is one of {value}"),
        Op::NotIn => format!("{field} is none of {value}"),
        Op::Gte => format!("{field} ≥ {value}"),
        Op::Lte => format!("{field} ≤ {value}"),
        Op::Contains => format!("{field} contains {value}"),
        Op::Exists if condition.value == Value::Bool(false) => format!("{field} is missing"),
        Op::Exists => format!("{field} is present"),
    }
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::String(text) => format!("“{text}”"),
        Value::Array(values) => values
            .iter()
            .map(describe_value)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        other => other.to_string(),
    }
}

/// What an action does, naming meeting types and hosts by `names` (ids otherwise).
pub fn describe_action(action: &Action, names: &HashMap<String, String>) -> String {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    match action {
        Action::Book {
            meeting_type_id,
            host_ids,
            prefer_owner,
        } => {
            let mut text = format!("Offer times for {}", name(meeting_type_id));
            if let Some(hosts) = host_ids {
                let hosts: Vec<String> = hosts.iter().map(|id| name(id)).collect();
                text.push_str(&format!(" with {}", hosts.join(", ")));
            }
            if *prefer_owner {
                text.push_str(", the account's owner first");
            }
            text
        }
        Action::Request { meeting_type_id } => {
            format!("Request {} (goes to approval)", name(meeting_type_id))
        }
        Action::Disqualify {
            message,
            redirect_url,
        } => match redirect_url {
            Some(url) => format!("Turn away: “{message}”, then {url}"),
            None => format!("Turn away: “{message}”"),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn condition(field: &str, op: Op, value: Value) -> When {
        When::Condition(Condition {
            field: field.to_owned(),
            op,
            value,
        })
    }

    #[test]
    fn nested_groups_are_bracketed_and_values_read_naturally() {
        let when = When::All(vec![
            condition("score", Op::Gte, json!(60)),
            When::Any(vec![
                condition("country", Op::Eq, json!("DE")),
                condition("utm_source", Op::In, json!(["linkedin", "g2"])),
            ]),
            condition("bant.need", Op::Eq, json!(true)),
        ]);
        assert_eq!(
            describe_when(&when),
            "score ≥ 60 and (country is “DE” or utm_source is one of “linkedin”, “g2”) and bant.need is yes"
        );
    }

    #[test]
    fn every_operator_has_words() {
        let cases = [
            (Op::Neq, json!("x"), "f is not “x”"),
            (Op::NotIn, json!(["a"]), "f is none of “a”"),
            (Op::Lte, json!(5), "f ≤ 5"),
            (Op::Contains, json!("vp"), "f contains “vp”"),
            (Op::Exists, json!(true), "f is present"),
            (Op::Exists, json!(false), "f is missing"),
        ];
        for (op, value, words) in cases {
            assert_eq!(describe_when(&condition("f", op, value)), words);
        }
    }

    #[test]
    fn actions_name_their_meeting_types_and_hosts() {
        let names = HashMap::from([
            ("t1".to_owned(), "Demo".to_owned()),
            ("u1".to_owned(), "Ana".to_owned()),
        ]);
        let book = Action::Book {
            meeting_type_id: "t1".into(),
            host_ids: Some(vec!["u1".into(), "u9".into()]),
            prefer_owner: true,
        };
        assert_eq!(
            describe_action(&book, &names),
            "Offer times for Demo with Ana, u9, the account's owner first"
        );
        let request = Action::Request {
            meeting_type_id: "t1".into(),
        };
        assert_eq!(
            describe_action(&request, &names),
            "Request Demo (goes to approval)"
        );
        let away = Action::Disqualify {
            message: "Thanks".into(),
            redirect_url: Some("https://example.com".into()),
        };
        assert_eq!(
            describe_action(&away, &names),
            "Turn away: “Thanks”, then https://example.com"
        );
    }
}

use serde_json::{json, Value};

use crate::routing::rules::*;

struct Types;

impl MeetingTypeCatalogue for Types {
    fn hosts_of(&self, id: &str) -> Option<Vec<String>> {
        match id {
            "demo" => Some(vec!["ana".into(), "ben".into()]),
            "intro" => Some(vec!["cy".into()]),
            _ => None,
        }
    }
}

fn parse(rules: Value, fallback: Value) -> Result<RuleSet, RuleErrors> {
    parse_rule_set(&rules, &fallback, &Types)
}

fn disqualify() -> Value {
    json!({"disqualify": {"message": "Thanks, we will be in touch."}})
}

fn errors_of(rules: Value, fallback: Value) -> Vec<String> {
    parse(rules, fallback)
        .unwrap_err()
        .iter()
        .map(|(at, _)| at.to_owned())
        .collect()
}

#[test]
fn nested_groups_parse_and_print_back() {
    let rules = json!([
        {"when": {"all": [
            {"field": "score", "op": "gte", "value": 70},
            {"any": [
                {"field": "country", "op": "in", "value": ["DE", "AT"]},
                {"field": "attributes.segment", "op": "eq", "value": "enterprise"}
            ]}
        ]}, "then": {"book": {"meeting_type_id": "demo", "host_ids": ["ben"], "prefer_owner": true}}},
        {"when": {"field": "bant.timing", "op": "eq", "value": "now"}, "then": {"request": {"meeting_type_id": "intro"}}}
    ]);
    let set = parse(rules.clone(), disqualify()).unwrap();
    assert_eq!(set.rules.len(), 2);
    assert_eq!(
        set.rules[0].then,
        Action::Book {
            meeting_type_id: "demo".into(),
            host_ids: Some(vec!["ben".into()]),
            prefer_owner: true
        }
    );
    assert_eq!(rules_to_json(&set.rules), rules);
    assert_eq!(action_to_json(&set.fallback), disqualify());
}

#[test]
fn every_field_the_contract_names_is_accepted() {
    let fields = PLAIN_FIELDS
        .iter()
        .chain(UTM_FIELDS.iter())
        .map(|f| f.to_string())
        .chain(BANT_FACTS.iter().map(|f| format!("bant.{f}")))
        .chain(["attributes.industry".to_owned()]);
    for field in fields {
        let rules = json!([{"when": {"field": field, "op": "exists"}, "then": disqualify()}]);
        assert!(parse(rules, disqualify()).is_ok(), "{field}");
    }
}

#[test]
fn errors_name_the_rule_and_the_place() {
    let rules = json!([
        {"when": {"field": "score", "op": "gte", "value": 50}, "then": disqualify()},
        {"when": {"all": [
            {"field": "shoe_size", "op": "eq", "value": 42},
            {"field": "score", "op": "bigger", "value": 1},
            {"any": [{"field": "stage", "op": "eq", "value": "lukewarm"}]}
        ]}, "then": {"book": {"meeting_type_id": "nope"}}}
    ]);
    assert_eq!(
        errors_of(
            rules,
            json!({"book": {"meeting_type_id": "demo", "host_ids": ["zed"]}})
        ),
        [
            "rules[1].when.all[0].field",
            "rules[1].when.all[1].op",
            "rules[1].when.all[2].any[0].value",
            "rules[1].then.book.meeting_type_id",
            "fallback.book.host_ids[0]",
        ]
    );
}

#[test]
fn values_must_suit_their_operator() {
    let cases = [
        ("score", "gte", json!("ten")),
        ("score", "lte", Value::Null),
        ("company", "in", json!([])),
        ("company", "not_in", json!("acme")),
        ("company", "contains", json!(7)),
        ("company", "eq", json!({"a": 1})),
        ("company", "exists", json!("yes")),
        ("company", "eq", json!("a\u{202e}b")),
        ("temperature", "in", json!(["hot", "boiling"])),
        ("bant.timing", "eq", json!("someday")),
        (
            "company",
            "in",
            Value::Array(vec![json!("x"); MAX_LIST_VALUES + 1]),
        ),
    ];
    for (field, op, value) in cases {
        let rules =
            json!([{"when": {"field": field, "op": op, "value": value}, "then": disqualify()}]);
        assert_eq!(
            errors_of(rules, disqualify()),
            ["rules[0].when.value"],
            "{field} {op} {value}"
        );
    }
    let missing = json!([{"when": {"field": "company", "op": "eq"}, "then": disqualify()}]);
    assert_eq!(errors_of(missing, disqualify()), ["rules[0].when.value"]);
}

#[test]
fn shapes_and_unknown_keys_are_refused() {
    assert_eq!(errors_of(json!({}), disqualify()), ["rules"]);
    assert_eq!(
        errors_of(
            json!([1, {"then": disqualify()}, {"when": {"all": []}, "then": {}}]),
            json!(null)
        ),
        [
            "rules[0]",
            "rules[1].when",
            "rules[2].when.all",
            "rules[2].then",
            "fallback"
        ]
    );
    assert_eq!(
        errors_of(
            json!([{"when": {"field": "score", "op": "exists", "extra": 1}, "then": disqualify(), "why": 1}]),
            json!({"disqualify": {"message": "  ", "redirect_url": "javascript:alert(1)"}})
        ),
        [
            "rules[0].why",
            "rules[0].when.extra",
            "fallback.disqualify.message",
            "fallback.disqualify.redirect_url",
        ]
    );
    assert_eq!(
        errors_of(
            json!([]),
            json!({"book": {"meeting_type_id": "demo", "prefer_owner": "yes"}})
        ),
        ["fallback.book.prefer_owner"]
    );
}

#[test]
fn hostile_keys_are_not_echoed() {
    let rules = json!([{"when": {"field": "score", "op": "exists", "x\u{202e}y": 1}, "then": disqualify()}]);
    assert_eq!(errors_of(rules, disqualify()), ["rules[0].when.?"]);
    let rules =
        json!([{"when": {"field": "attributes.\u{0}", "op": "exists"}, "then": disqualify()}]);
    assert_eq!(errors_of(rules, disqualify()), ["rules[0].when.field"]);
}

#[test]
fn limits_on_size_and_depth() {
    let too_many = Value::Array(
        (0..=MAX_RULES)
            .map(|_| json!({"when": {"field": "score", "op": "exists"}, "then": disqualify()}))
            .collect(),
    );
    assert_eq!(errors_of(too_many, disqualify()), ["rules"]);
    let mut deep = json!({"field": "score", "op": "exists"});
    for _ in 0..=MAX_NESTING {
        deep = json!({"all": [deep]});
    }
    let errors = errors_of(json!([{"when": deep, "then": disqualify()}]), disqualify());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("rules[0].when.all[0]"), "{errors:?}");
}

#[test]
fn redirects_must_be_web_addresses() {
    let fallback =
        json!({"disqualify": {"message": "No", "redirect_url": "https://example.com/thanks"}});
    let set = parse(json!([]), fallback).unwrap();
    assert_eq!(
        set.fallback,
        Action::Disqualify {
            message: "No".into(),
            redirect_url: Some("https://example.com/thanks".into())
        }
    );
}

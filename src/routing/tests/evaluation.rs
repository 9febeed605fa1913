use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::leads::model::Lead;
use crate::leads::scoring::{Bant, Stage, Temperature, Timing};
use crate::routing::evaluation::*;
use crate::routing::rules::*;

struct Types;

impl MeetingTypeCatalogue for Types {
    fn hosts_of(&self, _id: &str) -> Option<Vec<String>> {
        Some(vec!["ana".into()])
    }
}

fn lead() -> Lead {
    let at = NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let attributes = json!({"country": "DE", "company_size": "250", "utm_source": "linkedin", "segment": "Enterprise", "tags": ["a", "b"], "blank": ""});
    Lead {
        id: "lead".into(),
        email: "ana@acme.example".into(),
        external_id: None,
        name: "Ana".into(),
        company: Some("Acme GmbH".into()),
        title: Some("VP Sales".into()),
        phone: None,
        source: Some("webinar".into()),
        campaign: None,
        timezone: None,
        bant: Bant {
            budget: true,
            authority: false,
            need: true,
            timing: Timing::ThisQuarter,
        },
        attributes: attributes.as_object().unwrap().clone(),
        score: 72,
        temperature: Temperature::Warm,
        stage: Stage::Mql,
        score_explanation: Vec::new(),
        created_at: at,
        updated_at: at,
        owner_id: None,
        attribution: Default::default(),
    }
}

fn condition(field: &str, op: &str, value: Value) -> bool {
    let rules = json!([{"when": {"field": field, "op": op, "value": value}, "then": {"request": {"meeting_type_id": "t"}}}]);
    let set = parse_rule_set(&rules, &json!({"disqualify": {"message": "no"}}), &Types)
        .unwrap_or_else(|e| panic!("{field} {op}: {e:?}"));
    let verdict = evaluate(&set, &LeadFields::of(&lead()));
    verdict.matched_rule == MatchedRule::Rule(0)
}

#[test]
fn lead_fields_cover_columns_attributes_and_bant() {
    let fields = LeadFields::of(&lead());
    assert_eq!(fields.get("email_domain"), Some(&json!("acme.example")));
    assert_eq!(fields.get("score"), Some(&json!(72)));
    assert_eq!(fields.get("country"), Some(&json!("DE")));
    assert_eq!(fields.get("utm_source"), Some(&json!("linkedin")));
    assert_eq!(fields.get("attributes.segment"), Some(&json!("Enterprise")));
    assert_eq!(fields.get("bant.timing"), Some(&json!("this_quarter")));
    assert_eq!(fields.get("bant.authority"), Some(&json!(false)));
    assert_eq!(fields.get("campaign"), None);
    assert_eq!(fields.get("attributes.blank"), None);
}

#[test]
fn eq_and_neq() {
    assert!(condition("country", "eq", json!("de")));
    assert!(condition("score", "eq", json!(72)));
    assert!(condition("company_size", "eq", json!(250)));
    assert!(condition("bant.budget", "eq", json!(true)));
    assert!(!condition("bant.authority", "eq", json!(true)));
    assert!(!condition("campaign", "eq", json!("spring")));
    assert!(condition("country", "neq", json!("FR")));
    assert!(!condition("country", "neq", json!("DE")));
    assert!(condition("campaign", "neq", json!("spring")));
}

#[test]
fn in_and_not_in() {
    assert!(condition("temperature", "in", json!(["warm", "hot"])));
    assert!(!condition("temperature", "in", json!(["cold"])));
    assert!(condition("stage", "not_in", json!(["sql", "customer"])));
    assert!(!condition("stage", "not_in", json!(["mql"])));
    assert!(!condition("utm_medium", "in", json!(["email"])));
    assert!(condition("utm_medium", "not_in", json!(["email"])));
}

#[test]
fn gte_and_lte() {
    assert!(condition("score", "gte", json!(72)));
    assert!(!condition("score", "gte", json!(73)));
    assert!(condition("score", "lte", json!(72.5)));
    assert!(!condition("score", "lte", json!(71)));
    assert!(condition("company_size", "gte", json!(200)));
    assert!(!condition("company", "gte", json!(0)));
    assert!(!condition("campaign", "lte", json!(100)));
}

#[test]
fn contains_and_exists() {
    assert!(condition("title", "contains", json!("sales")));
    assert!(!condition("title", "contains", json!("engineer")));
    assert!(condition("attributes.tags", "contains", json!("b")));
    assert!(!condition("campaign", "contains", json!("x")));
    assert!(condition("company", "exists", json!(true)));
    assert!(!condition("campaign", "exists", json!(true)));
    assert!(condition("campaign", "exists", json!(false)));
    assert!(!condition("attributes.blank", "exists", json!(true)));
}

fn demo_rules() -> RuleSet {
    let rules = json!([
        {"when": {"all": [
            {"field": "score", "op": "gte", "value": 80},
            {"field": "country", "op": "eq", "value": "DE"}
        ]}, "then": {"request": {"meeting_type_id": "t"}}},
        {"when": {"any": [
            {"field": "utm_source", "op": "eq", "value": "google"},
            {"all": [
                {"field": "bant.budget", "op": "eq", "value": true},
                {"field": "attributes.segment", "op": "eq", "value": "enterprise"}
            ]}
        ]}, "then": {"book": {"meeting_type_id": "t"}}}
    ]);
    parse_rule_set(&rules, &json!({"disqualify": {"message": "no"}}), &Types).unwrap()
}

#[test]
fn first_matching_rule_decides_with_every_condition_explained() {
    let rules = demo_rules();
    let verdict = evaluate(&rules, &LeadFields::of(&lead()));
    assert_eq!(verdict.matched_rule, MatchedRule::Rule(1));
    assert_eq!(verdict.action.kind(), DecisionKind::Book);
    assert_eq!(verdict.evaluations.len(), 2);
    let first = &verdict.evaluations[0];
    assert!(!first.matched);
    assert_eq!(
        first.conditions[0],
        ConditionResult {
            field: "score".into(),
            op: Op::Gte,
            value: json!(80),
            actual: json!(72),
            result: false
        }
    );
    assert!(
        first.conditions[1].result,
        "evaluated though the group had failed"
    );
    let second = &verdict.evaluations[1];
    assert!(second.matched);
    let results: Vec<bool> = second.conditions.iter().map(|c| c.result).collect();
    assert_eq!(results, [false, true, true]);
    assert_eq!(second.conditions[0].actual, json!("linkedin"));
}

#[test]
fn the_fallback_decides_when_nothing_matches() {
    let rules = demo_rules();
    let mut cold = lead();
    cold.bant.budget = false;
    let verdict = evaluate(&rules, &LeadFields::of(&cold));
    assert_eq!(verdict.matched_rule, MatchedRule::Fallback);
    assert_eq!(verdict.action.kind(), DecisionKind::Disqualified);
    assert_eq!(verdict.evaluations.len(), 2);
    assert!(verdict.evaluations.iter().all(|e| !e.matched));
    assert_eq!(verdict.matched_rule.to_json(), json!("fallback"));
    assert_eq!(MatchedRule::Rule(3).to_json(), json!(3));
}

#[test]
fn a_router_without_rules_uses_its_fallback() {
    let rules = parse_rule_set(
        &json!([]),
        &json!({"request": {"meeting_type_id": "t"}}),
        &Types,
    )
    .unwrap();
    let verdict = evaluate(&rules, &LeadFields::default());
    assert_eq!(verdict.matched_rule, MatchedRule::Fallback);
    assert!(verdict.evaluations.is_empty());
}

#[test]
fn email_domains() {
    assert_eq!(email_domain("a@b.example"), Some("b.example"));
    assert_eq!(email_domain("nobody"), None);
    assert!(crate::routing::free_mail::is_free_mail("gmail.com"));
    assert!(!crate::routing::free_mail::is_free_mail("acme.example"));
    assert!(!crate::routing::free_mail::is_free_mail("# email domains"));
}

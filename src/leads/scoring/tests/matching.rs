//! Rules that match what a lead sends: title keywords, sources, campaigns and attributes.

use serde_json::json;

use super::*;

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

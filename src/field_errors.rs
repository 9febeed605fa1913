//! Field name → messages: what a validation found wrong with an input, kept apart from how the
//! HTTP edge reports it (a problem's `errors` member, or a form shown again).

use std::collections::BTreeMap;

use serde::Serialize;

/// Field name → messages, as sent in a problem document's `errors` member.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// `Ok(())` when nothing was recorded, else every message as the error.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// One line per message, each led by its field as `label` writes it.
    pub fn lines(&self, label: impl Fn(&str) -> String) -> Vec<String> {
        self.0
            .iter()
            .flat_map(|(field, messages)| {
                let label = label(field);
                messages
                    .iter()
                    .map(move |message| format!("{label} {message}"))
            })
            .collect()
    }

    /// Every message in one sentence for a page, fields named in words (`start time is…`).
    pub fn for_people(&self) -> String {
        self.lines(|field| field.replace(['_', '.'], " "))
            .join("; ")
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }
}

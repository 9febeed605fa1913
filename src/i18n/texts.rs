//! The texts of one language, looked up by key in the Fluent catalogues that are embedded at
//! compile time from `locales/<lang>.ftl`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_bundle::FluentValue;
use fluent_templates::Loader;

use crate::i18n::Language;

fluent_templates::static_loader! {
    pub(crate) static CATALOGUES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around every argument would end up in subjects and plain
        // text emails; all our languages run left to right.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// One language's texts, for templates (`{{ t.get("survey-title") }}`) and for Rust code that
/// composes prospect-facing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Texts {
    language: Language,
}

impl Texts {
    pub fn new(language: Language) -> Self {
        Self { language }
    }

    pub fn english() -> Self {
        Self::default()
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The BCP 47 tag for `<html lang>`.
    pub fn lang(&self) -> String {
        self.language.code()
    }

    /// The text for `key`; English when this language lacks it.
    pub fn get(&self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The text for `key` with its `{ $name }` placeholders filled from `args`.
    pub fn get_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| (Cow::Owned((*name).to_owned()), FluentValue::from(*value)))
            .collect();
        self.lookup(key, Some(&args))
    }

    /// A key missing from every catalogue is a bug to log, not a reason to fail a page or an
    /// email: the key itself stands in.
    fn lookup(
        &self,
        key: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue<'_>>>,
    ) -> String {
        CATALOGUES
            .try_lookup_complete(self.language.identifier(), key, args)
            .unwrap_or_else(|| {
                tracing::warn!(key, language = %self.language.code(), "no text for this key");
                key.to_owned()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(code: &str) -> Texts {
        Texts::new(Language::supported(code).unwrap())
    }

    #[test]
    fn each_language_has_its_own_words() {
        assert_eq!(texts("en").get("survey-title"), "How was your meeting?");
        assert_ne!(
            texts("vi").get("survey-title"),
            texts("en").get("survey-title")
        );
        assert_ne!(
            texts("km").get("survey-title"),
            texts("en").get("survey-title")
        );
    }

    #[test]
    fn arguments_fill_placeholders_without_isolation_marks() {
        let hello = texts("en").get_with("email-hello", &[("name", "Ana")]);
        assert_eq!(hello, "Hello Ana,");
        assert!(texts("vi")
            .get_with("email-hello", &[("name", "Ana")])
            .contains("Ana"));
    }

    #[test]
    fn a_missing_key_shows_the_key_and_never_panics() {
        assert_eq!(texts("km").get("no-such-key"), "no-such-key");
        assert_eq!(texts("vi").get_with("email-hello", &[]), "email-hello");
    }

    /// Every key of the English catalogue exists in every other one, and no catalogue has
    /// keys English lacks: a new language is complete or the build's tests say what is missing.
    #[test]
    fn every_catalogue_has_the_same_keys() {
        let keys = |code: &str| -> std::collections::BTreeSet<String> {
            let path = format!("{}/locales/{code}.ftl", env!("CARGO_MANIFEST_DIR"));
            let source = std::fs::read_to_string(path).unwrap();
            let resource = fluent_bundle::FluentResource::try_new(source).unwrap();
            resource
                .entries()
                .filter_map(|entry| match entry {
                    fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
                    _ => None,
                })
                .collect()
        };
        let english = keys("en");
        for language in Language::all() {
            let code = language.code();
            let theirs = keys(&code);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{code}: missing {missing:?}, extra {extra:?}"
            );
        }
    }
}

//! Which catalogue a prospect reads: a language they asked for by name (`lang`), else the best
//! one their browser accepts (`Accept-Language` with its q-values), else English.

use fluent_templates::{langid, LanguageIdentifier, Loader};

use crate::i18n::texts::CATALOGUES;

/// The fallback catalogue (`locales/en.ftl`), complete by definition.
static ENGLISH: LanguageIdentifier = langid!("en");

/// Longer tags are no language we have a catalogue for; refusing them early keeps hostile
/// headers cheap.
const MAX_TAG_LEN: usize = 35;

/// An `Accept-Language` header names a handful of languages; more entries than this are
/// ignored rather than sorted.
const MAX_ACCEPTED_RANGES: usize = 32;

/// A language with a catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language(&'static LanguageIdentifier);

impl Default for Language {
    fn default() -> Self {
        Self::english()
    }
}

impl Language {
    pub fn english() -> Self {
        Self(&ENGLISH)
    }

    /// The catalogue for `tag` (`vi`, `km-KH`, `EN-gb`): the exact language, else one of the
    /// same primary language; `None` when there is none.
    pub fn supported(tag: &str) -> Option<Self> {
        let tag = tag.trim();
        if tag.is_empty() || tag.len() > MAX_TAG_LEN {
            return None;
        }
        let wanted: LanguageIdentifier = tag.parse().ok()?;
        let catalogues = || CATALOGUES.locales();
        catalogues()
            .find(|have| **have == wanted)
            .or_else(|| {
                catalogues()
                    .filter(|have| have.language == wanted.language)
                    .min_by_key(|have| have.to_string())
            })
            .map(Self)
    }

    /// The browser's favourite language among those with a catalogue, from an
    /// `Accept-Language` value such as `km-KH, vi;q=0.8, en;q=0.5`. Entries with a malformed
    /// or zero quality are ignored; among equal qualities the earlier entry wins.
    pub fn negotiate(accept_language: &str) -> Option<Self> {
        let mut ranges: Vec<(f32, &str)> = accept_language
            .split(',')
            .take(MAX_ACCEPTED_RANGES)
            .filter_map(|entry| {
                let mut parts = entry.split(';');
                let tag = parts.next()?.trim();
                let quality = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                    None => 1.0,
                    Some(raw) => raw
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q))?,
                };
                (quality > 0.0).then_some((quality, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges.into_iter().find_map(|(_, tag)| Self::supported(tag))
    }

    /// `requested` if it names a language we have, else what `accept_language` prefers, else
    /// English.
    pub fn choose(requested: Option<&str>, accept_language: Option<&str>) -> Self {
        requested
            .and_then(Self::supported)
            .or_else(|| accept_language.and_then(Self::negotiate))
            .unwrap_or_default()
    }

    /// Every language with a catalogue, by code.
    pub fn all() -> Vec<Self> {
        let mut all: Vec<Self> = CATALOGUES.locales().map(Self).collect();
        all.sort_by_key(|language| language.code());
        all
    }

    /// The BCP 47 tag, as `<html lang>` and the stored request want it.
    pub fn code(self) -> String {
        self.0.to_string()
    }

    pub(crate) fn identifier(self) -> &'static LanguageIdentifier {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(language: Language) -> String {
        language.code()
    }

    #[test]
    fn english_vietnamese_and_khmer_have_catalogues() {
        let codes: Vec<String> = Language::all().into_iter().map(code).collect();
        for expected in ["en", "km", "vi"] {
            assert!(codes.contains(&expected.to_owned()), "{codes:?}");
        }
    }

    #[test]
    fn a_tag_matches_exactly_or_by_its_primary_language() {
        assert_eq!(Language::supported("vi").map(code), Some("vi".into()));
        assert_eq!(Language::supported("VI-vn").map(code), Some("vi".into()));
        assert_eq!(Language::supported("km-KH").map(code), Some("km".into()));
        assert_eq!(Language::supported("en-GB").map(code), Some("en".into()));
        assert_eq!(Language::supported("fr"), None);
        assert_eq!(Language::supported(""), None);
        assert_eq!(Language::supported("*"), None);
    }

    #[test]
    fn the_highest_quality_wins_and_ties_keep_their_order() {
        let chosen = |header: &str| Language::negotiate(header).map(code);
        assert_eq!(chosen("en;q=0.5, vi;q=0.9, km;q=0.7"), Some("vi".into()));
        assert_eq!(chosen("fr-FR, km-KH;q=0.8, vi;q=0.8"), Some("km".into()));
        assert_eq!(chosen("de, fr;q=0.9"), None);
        assert_eq!(chosen("vi;q=0, en;q=0.1"), Some("en".into()));
        assert_eq!(chosen("km"), Some("km".into()));
    }

    #[test]
    fn malformed_qualities_are_ignored() {
        let chosen = |header: &str| Language::negotiate(header).map(code);
        assert_eq!(chosen("vi;q=abc, km;q=0.2"), Some("km".into()));
        assert_eq!(chosen("vi;q=NaN, km;q=inf, en;q=2"), None);
        assert_eq!(chosen("*;q=abc"), None);
        assert_eq!(chosen(";;;,,,q=,"), None);
    }

    #[test]
    fn hostile_values_fall_back_to_english() {
        let long = "vi-".repeat(4000);
        assert_eq!(code(Language::choose(Some(&long), Some(&long))), "en");
        let garbage = "\u{202E}x,;q=,,".repeat(2000);
        assert_eq!(code(Language::choose(Some(&garbage), Some(&garbage))), "en");
        assert_eq!(code(Language::choose(None, None)), "en");
    }

    #[test]
    fn lang_beats_the_browser_and_an_unknown_lang_defers_to_it() {
        assert_eq!(code(Language::choose(Some("vi"), Some("km"))), "vi");
        assert_eq!(code(Language::choose(Some("xx"), Some("km"))), "km");
        assert_eq!(code(Language::choose(Some("xx"), Some("de"))), "en");
    }
}

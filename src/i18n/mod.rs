//! The prospect's language: message catalogues (one Fluent file per language in `locales/`),
//! choosing a language for a request, and dates and times written the way that language reads
//! them. Staff pages and staff emails stay English.

mod dates;
mod language;
mod texts;

pub use language::Language;
pub use texts::Texts;

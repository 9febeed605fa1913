//! Bulk lead import from CSV: read as a stream, saved in batches (one transaction each), every
//! bad row reported with its line and reasons while the good rows are kept.

use std::io::Read;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::audit::Actor;
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::field_errors::FieldErrors;
use crate::leads::error::LeadStoreError;
use crate::leads::model::{BantInput, LeadInput};
use crate::leads::repo::{self, Intake};
use crate::leads::scoring::ScoringRules;

/// Rejected rows listed in full; past this only the count grows, so a wrong file cannot make a
/// response of millions of entries.
pub const MAX_LISTED_REJECTIONS: usize = 1000;

const KNOWN_COLUMNS: [&str; 13] = [
    "email",
    "name",
    "external_id",
    "company",
    "title",
    "phone",
    "source",
    "campaign",
    "timezone",
    "bant_budget",
    "bant_authority",
    "bant_need",
    "bant_timing",
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RejectedRow {
    pub line: u64,
    #[schema(value_type = Object)]
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub rejected: Vec<RejectedRow>,
    pub rejected_count: usize,
}

impl ImportSummary {
    fn reject(&mut self, line: u64, errors: FieldErrors) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_LISTED_REJECTIONS {
            self.rejected.push(RejectedRow { line, errors });
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not CSV with a header row: {0}")]
    Malformed(String),
    #[error("the header row has no `{0}` column")]
    MissingColumn(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct ImportSettings<'a> {
    pub rules: &'a ScoringRules,
    pub actor: &'a Actor,
    pub publisher: &'a crate::events::Publisher,
    pub batch_size: usize,
    pub now: &'a dyn Fn() -> DateTime<Utc>,
}

/// Imports every row of `input`, calling `on_batch` with the running totals after each batch.
pub fn import(
    conn: &mut DbConnection,
    input: impl Read,
    settings: &ImportSettings<'_>,
    mut on_batch: impl FnMut(&ImportSummary),
) -> Result<ImportSummary, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(CrlfAsLf::new(input));
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| ImportError::Malformed(e.to_string()))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_lowercase()
        })
        .collect();
    for required in ["email", "name"] {
        if !headers.iter().any(|h| h == required) {
            return Err(ImportError::MissingColumn(required));
        }
    }
    let mut summary = ImportSummary::default();
    let mut batch: Vec<(u64, LeadInput)> = Vec::with_capacity(settings.batch_size);
    let mut record = csv::ByteRecord::new();
    loop {
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                summary.reject(line, FieldErrors::single("row", error.to_string()));
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    return Err(ImportError::Malformed(error.to_string()));
                }
                continue;
            }
        };
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(<[u8]>::is_empty) {
            continue;
        }
        match row_input(&headers, &record) {
            Ok(input) => batch.push((line, input)),
            Err(errors) => summary.reject(line, errors),
        }
        if batch.len() >= settings.batch_size {
            save_batch(conn, &mut batch, settings, &mut summary)?;
            on_batch(&summary);
        }
    }
    save_batch(conn, &mut batch, settings, &mut summary)?;
    summary.rejected.sort_by_key(|row| row.line);
    on_batch(&summary);
    Ok(summary)
}

/// Reads CRLF line ends as LF. The CSV reader counts a record's line before it has consumed the
/// LF of a CRLF, so without this every line number after the header is one short.
struct CrlfAsLf<R> {
    inner: R,
    held_cr: bool,
}

impl<R: Read> CrlfAsLf<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            held_cr: false,
        }
    }
}

impl<R: Read> Read for CrlfAsLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.len() < 2 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "line-end normalising needs a buffer of at least two bytes",
            ));
        }
        loop {
            // A CR held back from the previous read goes first, to be judged with what follows.
            let start = usize::from(self.held_cr);
            if self.held_cr {
                buf[0] = b'\r';
            }
            let n = self.inner.read(&mut buf[start..])?;
            self.held_cr = false;
            if n == 0 {
                return Ok(start);
            }
            let kept = self.compact(buf, start + n);
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

impl<R> CrlfAsLf<R> {
    /// Drops every CR that precedes an LF in `buf[..len]`; a CR at the very end is held back
    /// until the next read shows what follows it.
    fn compact(&mut self, buf: &mut [u8], len: usize) -> usize {
        let mut kept = 0;
        for i in 0..len {
            let byte = buf[i];
            if byte == b'\r' {
                if i + 1 == len {
                    self.held_cr = true;
                    continue;
                }
                if buf[i + 1] == b'\n' {
                    continue;
                }
            }
            buf[kept] = byte;
            kept += 1;
        }
        kept
    }
}

fn row_input(headers: &[String], record: &csv::ByteRecord) -> Result<LeadInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut input = LeadInput::default();
    let mut bant = BantInput::default();
    let mut attributes = Map::new();
    for (column, raw) in headers.iter().zip(record.iter()) {
        let Ok(value) = std::str::from_utf8(raw) else {
            errors.add(column.clone(), "is not valid UTF-8 text");
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let text = Some(value.to_owned());
        match column.as_str() {
            "email" => input.email = value.to_owned(),
            "name" => input.name = value.to_owned(),
            "external_id" => input.external_id = text,
            "company" => input.company = text,
            "title" => input.title = text,
            "phone" => input.phone = text,
            "source" => input.source = text,
            "campaign" => input.campaign = text,
            "timezone" => input.timezone = text,
            "bant_timing" => bant.timing = text,
            "bant_budget" | "bant_authority" | "bant_need" => match parse_flag(value) {
                Some(flag) => match column.as_str() {
                    "bant_budget" => bant.budget = Some(flag),
                    "bant_authority" => bant.authority = Some(flag),
                    _ => bant.need = Some(flag),
                },
                None => errors.add(column.clone(), "must be yes/no, true/false or 1/0"),
            },
            other if !other.is_empty() && !KNOWN_COLUMNS.contains(&other) => {
                attributes.insert(other.to_owned(), Value::from(value));
            }
            _ => {}
        }
    }
    let sent_bant = bant.budget.is_some()
        || bant.authority.is_some()
        || bant.need.is_some()
        || bant.timing.is_some();
    input.bant = sent_bant.then_some(bant);
    input.attributes = (!attributes.is_empty()).then_some(attributes);
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

fn parse_flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Saves one batch in one transaction. Each row sits in its own savepoint, so a row refused by
/// the database is rolled back alone and the rest of the batch is kept.
fn save_batch(
    conn: &mut DbConnection,
    batch: &mut Vec<(u64, LeadInput)>,
    settings: &ImportSettings<'_>,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    if batch.is_empty() {
        return Ok(());
    }
    let now = (settings.now)();
    let outcomes = write_transaction(conn, |conn| {
        let mut outcomes = Vec::with_capacity(batch.len());
        for (line, input) in batch.iter() {
            let intake = match input.parse() {
                Ok(intake) => intake,
                Err(errors) => {
                    outcomes.push((*line, Err(errors)));
                    continue;
                }
            };
            let saved = {
                use diesel::Connection;
                conn.transaction(|conn| {
                    let change = repo::LeadChange {
                        actor: settings.actor,
                        publisher: settings.publisher,
                        now,
                    };
                    repo::upsert(conn, &intake, settings.rules, &change)
                })
            };
            match saved {
                Ok((_, intake)) => outcomes.push((*line, Ok(intake))),
                Err(LeadStoreError::Conflict(message)) => {
                    outcomes.push((*line, Err(FieldErrors::single("email", message))));
                }
                Err(LeadStoreError::Store(error)) if error.is_unique_violation() => {
                    outcomes.push((
                        *line,
                        Err(FieldErrors::single(
                            "email",
                            "conflicts with a lead saved at the same moment; import the row again",
                        )),
                    ));
                }
                Err(LeadStoreError::Store(error)) => return Err(error),
                Err(LeadStoreError::Publish(error)) => {
                    return Err(StoreError::Corrupt(error.to_string()))
                }
            }
        }
        Ok::<_, StoreError>(outcomes)
    })?;
    for (line, outcome) in outcomes {
        match outcome {
            Ok(Intake::Created) => summary.created += 1,
            Ok(Intake::Updated) => summary.updated += 1,
            Err(errors) => summary.reject(line, errors),
        }
    }
    batch.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> csv::ByteRecord {
        csv::ByteRecord::from(fields.to_vec())
    }

    /// Reads through a source that hands out one byte at a time, the worst case for a CR that
    /// arrives before its LF.
    fn normalized(input: &[u8]) -> Vec<u8> {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.0.split_first() {
                    Some((first, rest)) if !buf.is_empty() => {
                        buf[0] = *first;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let mut out = Vec::new();
        CrlfAsLf::new(OneByte(input)).read_to_end(&mut out).unwrap();
        let mut whole = Vec::new();
        CrlfAsLf::new(input).read_to_end(&mut whole).unwrap();
        assert_eq!(out, whole);
        out
    }

    #[test]
    fn crlf_becomes_lf_and_lone_cr_stays() {
        assert_eq!(normalized(b"a\r\nb\r\n"), b"a\nb\n");
        assert_eq!(normalized(b"a\rb\r"), b"a\rb\r");
        assert_eq!(normalized(b"\r\r\n\r"), b"\r\n\r");
        assert_eq!(normalized(b""), b"");
    }

    #[test]
    fn line_numbers_are_right_with_crlf_and_quoted_newlines() {
        let data = "h\r\n\"x\r\ny\"\r\nb\r\n";
        let mut reader = csv::ReaderBuilder::new().from_reader(CrlfAsLf::new(data.as_bytes()));
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            lines.push(record.position().unwrap().line());
        }
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn known_columns_fill_the_lead_and_others_become_attributes() {
        let headers: Vec<String> = ["email", "name", "bant_budget", "bant_timing", "industry"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let input = row_input(
            &headers,
            &record(&["a@example.com", "Zoë", "Yes", "now", "fintech"]),
        )
        .unwrap();
        assert_eq!(input.name, "Zoë");
        let bant = input.bant.unwrap();
        assert_eq!(bant.budget, Some(true));
        assert_eq!(bant.timing.as_deref(), Some("now"));
        assert_eq!(input.attributes.unwrap()["industry"], "fintech");
    }

    #[test]
    fn bad_flags_and_bytes_are_reported_per_column() {
        let headers: Vec<String> = ["email", "name", "bant_need"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let bad =
            csv::ByteRecord::from(vec![&b"a@example.com"[..], &b"\xff\xfe"[..], &b"maybe"[..]]);
        let errors = row_input(&headers, &bad).unwrap_err();
        let fields: Vec<&str> = errors.fields().map(|(f, _)| f).collect();
        assert_eq!(fields, ["bant_need", "name"]);
    }
}

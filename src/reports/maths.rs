//! The arithmetic of reports on counts and sums the database already aggregated: ratios,
//! averages, rounding, and which currency a report's money is shown in. Pure functions.

use crate::outcomes::money::Currency;

/// The currency reports use when no opportunity says otherwise.
pub const DEFAULT_CURRENCY: &str = "EUR";

/// `numerator / denominator` rounded to four decimals; `None` when nothing was counted.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    if denominator <= 0 {
        return None;
    }
    Some(round(numerator as f64 / denominator as f64, 4))
}

/// Share of meetings with a recorded outcome where the prospect did not come. Unconfirmed
/// meetings are in neither part: they are not known to be held or missed.
pub fn no_show_rate(held: i64, no_shows: i64) -> Option<f64> {
    ratio(no_shows, held + no_shows)
}

/// A mean from a sum and a count, to two decimals.
pub fn average(sum: i64, count: i64) -> Option<f64> {
    if count <= 0 {
        return None;
    }
    Some(round(sum as f64 / count as f64, 2))
}

/// Seconds to hours, to one decimal.
pub fn hours(seconds: Option<f64>) -> Option<f64> {
    seconds
        .filter(|s| s.is_finite())
        .map(|s| round(s / 3600.0, 1))
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale
}

/// Opportunities of one currency, as the database summed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotals {
    pub currency: String,
    pub opportunities: i64,
    pub won: i64,
    pub pipeline_minor: i64,
    pub won_minor: i64,
}

/// The currency money is reported in: the one asked for, else the one most opportunities use
/// (the alphabetically first on a tie), else EUR. Amounts in other currencies are never
/// converted or added in.
pub fn report_currency(totals: &[CurrencyTotals], requested: Option<&Currency>) -> Currency {
    if let Some(requested) = requested {
        return requested.clone();
    }
    totals
        .iter()
        .filter_map(|t| {
            Currency::parse(&t.currency)
                .ok()
                .map(|c| (t.opportunities, c))
        })
        .max_by(|(a_count, a), (b_count, b)| a_count.cmp(b_count).then_with(|| b.cmp(a)))
        .map(|(_, currency)| currency)
        .unwrap_or_else(|| {
            Currency::parse(DEFAULT_CURRENCY)
                .unwrap_or_else(|_| unreachable!("EUR is a currency code"))
        })
}

/// Counts over every currency, money in the report currency only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpportunitySummary {
    pub currency: Currency,
    pub opportunities: i64,
    pub won: i64,
    pub pipeline_minor: i64,
    pub won_minor: i64,
    /// Currencies with opportunities whose money is left out of the sums.
    pub other_currencies: Vec<String>,
}

pub fn summarise(totals: &[CurrencyTotals], requested: Option<&Currency>) -> OpportunitySummary {
    let currency = report_currency(totals, requested);
    let in_currency = totals.iter().find(|t| t.currency == currency.as_str());
    let mut other_currencies: Vec<String> = totals
        .iter()
        .filter(|t| t.currency != currency.as_str())
        .map(|t| t.currency.clone())
        .collect();
    other_currencies.sort();
    OpportunitySummary {
        opportunities: totals.iter().map(|t| t.opportunities).sum(),
        won: totals.iter().map(|t| t.won).sum(),
        pipeline_minor: in_currency.map_or(0, |t| t.pipeline_minor),
        won_minor: in_currency.map_or(0, |t| t.won_minor),
        currency,
        other_currencies,
    }
}

/// The funnel's conversion ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    pub lead_to_meeting: Option<f64>,
    pub meeting_to_opportunity: Option<f64>,
    pub opportunity_to_won: Option<f64>,
}

/// Leads to scheduled meetings, held meetings to opportunities, opportunities to won ones.
pub fn conversion(
    leads: i64,
    meetings_scheduled: i64,
    meetings_held: i64,
    opportunities: i64,
    won: i64,
) -> Conversion {
    Conversion {
        lead_to_meeting: ratio(meetings_scheduled, leads),
        meeting_to_opportunity: ratio(opportunities, meetings_held),
        opportunity_to_won: ratio(won, opportunities),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(currency: &str, opportunities: i64, pipeline_minor: i64) -> CurrencyTotals {
        CurrencyTotals {
            currency: currency.into(),
            opportunities,
            won: 1,
            pipeline_minor,
            won_minor: 100,
        }
    }

    #[test]
    fn ratios_round_to_four_decimals_and_skip_empty_denominators() {
        assert_eq!(ratio(1, 3), Some(0.3333));
        assert_eq!(ratio(2, 3), Some(0.6667));
        assert_eq!(ratio(5, 5), Some(1.0));
        assert_eq!(ratio(3, 0), None);
    }

    #[test]
    fn no_show_rate_ignores_unconfirmed_meetings() {
        assert_eq!(no_show_rate(3, 1), Some(0.25));
        assert_eq!(no_show_rate(0, 0), None);
    }

    #[test]
    fn averages_and_hours_round() {
        assert_eq!(average(14, 3), Some(4.67));
        assert_eq!(average(0, 0), None);
        assert_eq!(hours(Some(5400.0)), Some(1.5));
        assert_eq!(hours(Some(f64::NAN)), None);
        assert_eq!(hours(None), None);
    }

    #[test]
    fn the_most_common_currency_is_reported_unless_one_is_asked_for() {
        let rows = [totals("USD", 2, 500), totals("EUR", 3, 900)];
        assert_eq!(report_currency(&rows, None).as_str(), "EUR");
        let gbp = Currency::parse("GBP").unwrap();
        assert_eq!(report_currency(&rows, Some(&gbp)).as_str(), "GBP");
        let tie = [totals("USD", 2, 1), totals("CHF", 2, 1)];
        assert_eq!(report_currency(&tie, None).as_str(), "CHF");
        assert_eq!(report_currency(&[], None).as_str(), "EUR");
    }

    #[test]
    fn summaries_count_every_currency_but_add_money_of_one() {
        let rows = [totals("USD", 1, 500), totals("EUR", 3, 900)];
        let summary = summarise(&rows, None);
        assert_eq!(summary.opportunities, 4);
        assert_eq!(summary.won, 2);
        assert_eq!(summary.pipeline_minor, 900);
        assert_eq!(summary.other_currencies, ["USD"]);
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(summarise(&rows, Some(&usd)).pipeline_minor, 500);
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(summarise(&rows, Some(&jpy)).pipeline_minor, 0);
    }

    #[test]
    fn conversion_follows_the_funnel() {
        let c = conversion(10, 4, 3, 2, 1);
        assert_eq!(c.lead_to_meeting, Some(0.4));
        assert_eq!(c.meeting_to_opportunity, Some(0.6667));
        assert_eq!(c.opportunity_to_won, Some(0.5));
        assert_eq!(conversion(0, 0, 0, 0, 0).lead_to_meeting, None);
    }
}

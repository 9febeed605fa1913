//! Money as integer minor units of a currency, parsed once from the API's decimal string.
//! Amounts never pass through floats, so sums in reports are exact.

use std::fmt;

/// An ISO 4217-shaped currency code: three upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code.to_owned()))
        } else {
            Err("must be three upper-case letters, like EUR".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point (ISO 4217). Codes not listed use two, the common case.
    pub fn decimals(&self) -> u32 {
        match self.0.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A non-negative amount of one currency, in its minor units (cents for EUR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// Parses a decimal string such as `"25000.00"` or `"25000"`: digits, at most one point,
    /// at most the currency's number of decimals, no sign, no exponent.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, String> {
        let amount = amount.trim();
        let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
            return Err("must be a non-negative decimal number like \"25000.00\"".into());
        }
        if amount.ends_with('.') {
            return Err("must have digits after the decimal point".into());
        }
        let decimals = currency.decimals();
        if fraction.len() > decimals as usize {
            return Err(format!(
                "has more than {decimals} decimal places for {currency}"
            ));
        }
        let too_large = || "is too large".to_owned();
        let scale = 10_i64.pow(decimals);
        let whole: i64 = whole.parse().map_err(|_| too_large())?;
        let padded = format!("{fraction:0<width$}", width = decimals as usize);
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| too_large())?
        };
        let minor = whole
            .checked_mul(scale)
            .and_then(|units| units.checked_add(fraction))
            .ok_or_else(too_large)?;
        Ok(Self { minor, currency })
    }

    /// An amount already in minor units, as stored.
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The amount as the API writes it: `"25000.00"`.
    pub fn decimal(&self) -> String {
        format_minor(self.minor, self.currency.decimals())
    }
}

/// Writes `minor` units with `decimals` digits after the point; negative sums keep their sign.
pub fn format_minor(minor: i64, decimals: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10_u64.pow(decimals);
    format!(
        "{sign}{}.{:0width$}",
        magnitude / scale,
        magnitude % scale,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn currencies_are_three_upper_case_letters() {
        assert!(Currency::parse("EUR").is_ok());
        for bad in ["eur", "EU", "EURO", "E1R", "", "€€€"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimal_strings_become_minor_units() {
        assert_eq!(Money::parse("25000.00", eur()).unwrap().minor(), 2_500_000);
        assert_eq!(Money::parse("25000", eur()).unwrap().minor(), 2_500_000);
        assert_eq!(Money::parse("0.5", eur()).unwrap().minor(), 50);
        assert_eq!(Money::parse("0", eur()).unwrap().minor(), 0);
        let yen = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse("1200", yen.clone()).unwrap().minor(), 1200);
        assert!(Money::parse("1200.5", yen).is_err());
        let dinar = Currency::parse("KWD").unwrap();
        assert_eq!(Money::parse("1.234", dinar).unwrap().minor(), 1234);
    }

    #[test]
    fn malformed_or_negative_amounts_are_refused() {
        for bad in [
            "", "-1.00", "+1", "1,000.00", "1.", ".5", "1.234", "1e3", "abc", " 1 2", "1.2.3",
        ] {
            assert!(Money::parse(bad, eur()).is_err(), "{bad:?}");
        }
        assert!(Money::parse("99999999999999999999", eur()).is_err());
        assert!(Money::parse("92233720368547758.07", eur()).is_ok());
        assert!(Money::parse("92233720368547758.08", eur()).is_err());
    }

    #[test]
    fn amounts_print_back_with_the_currency_decimals() {
        assert_eq!(Money::parse("25000", eur()).unwrap().decimal(), "25000.00");
        assert_eq!(Money::parse("0.05", eur()).unwrap().decimal(), "0.05");
        assert_eq!(format_minor(1234, 3), "1.234");
        assert_eq!(format_minor(1200, 0), "1200");
        assert_eq!(format_minor(-5, 2), "-0.05");
    }
}

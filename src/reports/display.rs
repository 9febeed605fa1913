//! Numbers as people read them on the reports page: amounts with thousands grouped. CSV and
//! JSON keep the plain digits, which spreadsheets and programs read.

/// `8277600.00` → `8,277,600.00`; `-1234.5` → `-1,234.5`. Text that is not a number is
/// returned as it is.
pub fn grouped(amount: &str) -> String {
    let (sign, digits) = match amount.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", amount),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return amount.to_owned();
    }
    let mut out = String::with_capacity(amount.len() + whole.len() / 3);
    out.push_str(sign);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// `part` as a whole percentage of `whole`: `25 %`, or `–` when there is no whole.
pub fn share_of(part: u32, whole: u32) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    format!("{:.0} %", f64::from(part) * 100.0 / f64::from(whole))
}

#[cfg(test)]
mod tests {
    use super::{grouped, share_of};

    #[test]
    fn shares_are_whole_percentages_and_nothing_of_nothing_is_a_dash() {
        assert_eq!(share_of(1, 4), "25 %");
        assert_eq!(share_of(2, 3), "67 %");
        assert_eq!(share_of(0, 0), "–");
    }

    #[test]
    fn thousands_are_grouped_and_everything_else_kept() {
        for (plain, shown) in [
            ("8277600.00", "8,277,600.00"),
            ("999.99", "999.99"),
            ("1000", "1,000"),
            ("-1234.5", "-1,234.5"),
            ("0.00", "0.00"),
            ("123456", "123,456"),
            ("–", "–"),
            ("", ""),
        ] {
            assert_eq!(grouped(plain), shown);
        }
    }
}

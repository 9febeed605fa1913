//! Whole numbers in JSON bodies as JSON Schema counts them: `3` and `3.0` are both the integer
//! 3, so a client that writes every number with a decimal point is not refused.

use serde::de::{Deserialize, Deserializer, Error};

fn whole_from<T: TryFrom<i64>, E: Error>(number: serde_json::Number) -> Result<T, E> {
    let whole = number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|value| value.fract() == 0.0 && value.abs() < 9.0e15)
            .map(|value| value as i64)
    });
    whole
        .and_then(|value| T::try_from(value).ok())
        .ok_or_else(|| E::custom(format!("expected a whole number in range, found {number}")))
}

pub fn whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(deserializer: D) -> Result<T, D::Error> {
    whole_from(serde_json::Number::deserialize(deserializer)?)
}

pub fn optional_whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Option::<serde_json::Number>::deserialize(deserializer)?
        .map(whole_from)
        .transpose()
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::whole")]
        rating: i32,
        #[serde(default, deserialize_with = "super::optional_whole")]
        limit: Option<i32>,
    }

    #[test]
    fn whole_numbers_may_carry_a_decimal_point() {
        let body: Body = serde_json::from_str(r#"{"rating": 3.0, "limit": 7}"#).unwrap();
        assert_eq!((body.rating, body.limit), (3, Some(7)));
        let body: Body = serde_json::from_str(r#"{"rating": 4}"#).unwrap();
        assert_eq!(body.limit, None);
    }

    #[test]
    fn fractions_and_numbers_out_of_range_are_refused() {
        for raw in [
            r#"{"rating": 3.5}"#,
            r#"{"rating": 1e12}"#,
            r#"{"rating": "3"}"#,
        ] {
            assert!(serde_json::from_str::<Body>(raw).is_err(), "{raw}");
        }
    }
}

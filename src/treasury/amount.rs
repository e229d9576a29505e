//! Money on the treasury's wire: a string of yuan with exactly two decimals (`"1234.50"`),
//! parsed strictly: no sign, no exponent, no separators, no more or fewer than two decimals.

use rust_decimal::Decimal;

/// The most integer digits an amount may have (`NUMERIC(18,2)` holds 16).
const MAX_INTEGER_DIGITS: usize = 16;

/// Why a text is not an amount. The messages are for finance staff, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Empty text.
    #[error("金额为空")]
    Empty,
    /// A minus sign.
    #[error("金额 \"{0}\" 为负数")]
    Negative(String),
    /// Not exactly two decimals (`"12"`, `"12.5"`, `"12.345"`).
    #[error("金额 \"{0}\" 须恰好两位小数 (如 12.50)")]
    NotTwoDecimals(String),
    /// Anything else: a plus sign, an exponent, spaces, separators, letters, leading zeros.
    #[error("金额 \"{0}\" 不是十进制数 (应为 12.50 这样的写法)")]
    NotANumber(String),
    /// More than sixteen integer digits.
    #[error("金额 \"{0}\" 超过 16 位整数")]
    TooLarge(String),
}

/// Parses a wire amount: `0.00` or more, exactly two decimals.
pub fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    if text.starts_with('-') {
        return Err(AmountError::Negative(text.to_owned()));
    }
    let not_a_number = || AmountError::NotANumber(text.to_owned());
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (int, frac) = match text.split_once('.') {
        Some(parts) => parts,
        None if all_digits(text) => return Err(AmountError::NotTwoDecimals(text.to_owned())),
        None => return Err(not_a_number()),
    };
    if !all_digits(int) || (int.len() > 1 && int.starts_with('0')) {
        return Err(not_a_number());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_number());
    }
    if frac.len() != 2 {
        return Err(AmountError::NotTwoDecimals(text.to_owned()));
    }
    if int.len() > MAX_INTEGER_DIGITS {
        return Err(AmountError::TooLarge(text.to_owned()));
    }
    let fen = format!("{int}{frac}")
        .parse::<i64>()
        .map_err(|_| not_a_number())?;
    Ok(Decimal::new(fen, 2))
}

/// Writes an amount for the wire. The amount must already be whole fen (the callers check
/// with [`is_whole_fen`]); it is never rounded here.
pub fn format_amount(amount: Decimal) -> String {
    format!("{amount:.2}")
}

/// True when `amount` is a whole number of fen (at most two decimals once trailing zeros
/// are dropped).
pub fn is_whole_fen(amount: Decimal) -> bool {
    amount.normalize().scale() <= 2
}

/// `#[serde(with = "wire")]` for a `Decimal` field sent as a two-decimal string.
pub mod wire {
    use rust_decimal::Decimal;
    use serde::{Deserialize as _, Deserializer, Serializer};

    /// Writes the amount as `"1234.50"`.
    pub fn serialize<S: Serializer>(amount: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_amount(*amount))
    }

    /// Reads a string amount strictly; a JSON number is refused.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        super::parse_amount(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::{AmountError, format_amount, is_whole_fen, parse_amount};

    #[test]
    fn good_amounts_parse_exactly() {
        for (text, value) in [
            ("0.00", dec!(0.00)),
            ("0.01", dec!(0.01)),
            ("12.50", dec!(12.50)),
            ("9999999999999999.99", dec!(9999999999999999.99)),
        ] {
            assert_eq!(parse_amount(text), Ok(value), "{text}");
            assert_eq!(format_amount(value), text);
        }
    }

    #[test]
    fn bad_amounts_are_refused_with_the_reason() {
        type Expect = fn(String) -> AmountError;
        let table: [(&str, Expect); 15] = [
            ("-1.00", AmountError::Negative),
            ("12", AmountError::NotTwoDecimals),
            ("12.5", AmountError::NotTwoDecimals),
            ("12.345", AmountError::NotTwoDecimals),
            ("12.", AmountError::NotTwoDecimals),
            ("1e3", AmountError::NotANumber),
            ("1.5e2", AmountError::NotANumber),
            ("+1.00", AmountError::NotANumber),
            (" 1.00", AmountError::NotANumber),
            ("1,000.00", AmountError::NotANumber),
            ("01.00", AmountError::NotANumber),
            (".50", AmountError::NotANumber),
            ("NaN", AmountError::NotANumber),
            ("1.0O", AmountError::NotANumber),
            ("12345678901234567.00", AmountError::TooLarge),
        ];
        for (text, error) in table {
            assert_eq!(parse_amount(text), Err(error(text.to_owned())), "{text}");
        }
        assert_eq!(parse_amount(""), Err(AmountError::Empty));
    }

    #[test]
    fn json_numbers_are_refused_on_the_wire() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[serde(with = "super::wire")]
            #[allow(dead_code)]
            amount: rust_decimal::Decimal,
        }
        assert!(serde_json::from_str::<Body>(r#"{"amount": 12.5}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"amount": "12.5"}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"amount": "12.50"}"#).is_ok());
    }

    #[test]
    fn whole_fen_ignores_trailing_zeros_only() {
        assert!(is_whole_fen(dec!(1)));
        assert!(is_whole_fen(dec!(1.500)));
        assert!(!is_whole_fen(dec!(1.005)));
        assert_eq!(format_amount(dec!(1)), "1.00");
    }
}

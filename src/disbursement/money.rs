//! Amounts as finance staff type them: whole fen, never negative; checked before anything
//! is written, with a message that names the field.

use rust_decimal::Decimal;

/// A bad amount, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Below zero.
    #[error("{field} 为负数 ({amount}): 金额不能为负")]
    Negative {
        /// The field.
        field: &'static str,
        /// The amount given.
        amount: Decimal,
    },
    /// Zero where more is needed.
    #[error("{field} 须大于 0")]
    Zero {
        /// The field.
        field: &'static str,
    },
    /// Finer than a fen.
    #[error("{field} ({amount}) 不是整分: 金额最多两位小数")]
    FractionalFen {
        /// The field.
        field: &'static str,
        /// The amount given.
        amount: Decimal,
    },
    /// More than sixteen integer digits.
    #[error("{field} ({amount}) 过大: 最多 16 位整数")]
    TooLarge {
        /// The field.
        field: &'static str,
        /// The amount given.
        amount: Decimal,
    },
}

/// An amount of more than zero in whole fen, rescaled to two decimals.
pub fn check_amount(field: &'static str, amount: Decimal) -> Result<Decimal, MoneyError> {
    let amount = check_limit(field, amount)?;
    if amount.is_zero() {
        return Err(MoneyError::Zero { field });
    }
    Ok(amount)
}

/// A bound of a filter: zero or more, whole fen.
pub fn check_limit(field: &'static str, amount: Decimal) -> Result<Decimal, MoneyError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(MoneyError::Negative { field, amount });
    }
    let mut rounded = amount.normalize();
    if rounded.scale() > 2 {
        return Err(MoneyError::FractionalFen { field, amount });
    }
    if amount.trunc() >= Decimal::from(10_000_000_000_000_000_i64) {
        return Err(MoneyError::TooLarge { field, amount });
    }
    rounded.rescale(2);
    Ok(rounded)
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::{MoneyError, check_amount, check_limit};

    #[test]
    fn amounts_are_whole_fen_and_positive() {
        assert_eq!(check_amount("amount", dec!(12.5)), Ok(dec!(12.50)));
        assert_eq!(check_amount("amount", dec!(12.500)), Ok(dec!(12.50)));
        assert_eq!(check_limit("min", dec!(0)), Ok(dec!(0.00)));
        let table = [
            (dec!(-0.01), "Negative"),
            (dec!(0.001), "FractionalFen"),
            (dec!(10.005), "FractionalFen"),
            (dec!(0), "Zero"),
            (dec!(10000000000000000), "TooLarge"),
        ];
        for (amount, kind) in table {
            let error = check_amount("amount", amount).expect_err(kind);
            let name = match error {
                MoneyError::Negative { .. } => "Negative",
                MoneyError::Zero { .. } => "Zero",
                MoneyError::FractionalFen { .. } => "FractionalFen",
                MoneyError::TooLarge { .. } => "TooLarge",
            };
            assert_eq!(name, kind, "{amount}");
            assert!(error.to_string().contains("amount"), "{error}");
        }
    }
}

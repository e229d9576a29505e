//! How values are shown in reasons: rust_decimal's and chrono's own `Display`, with the
//! rounding of each placeholder named.

use std::fmt::Write;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy::MidpointAwayFromZero};

/// How a placeholder shows a decimal: `{}` as is, `{%}` a rate, `{元}` money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spec {
    /// `{}`: trailing zeros dropped (`0.0550` → `0.055`).
    Plain,
    /// `{%}`: the rate × 100, rounded half away from zero to 2 decimals, then `%`.
    Percent,
    /// `{元}`: rounded half away from zero to 2 decimals.
    Money,
}

/// A decimal as `spec` shows it, appended to `out`.
pub(crate) fn write_decimal(out: &mut String, d: Decimal, spec: Spec) {
    // Writing to a `String` cannot fail.
    let _ = match spec {
        Spec::Plain if d.is_zero() => write!(out, "0"),
        Spec::Plain => write!(out, "{}", d.normalize()),
        Spec::Percent => match d.checked_mul(Decimal::ONE_HUNDRED) {
            Some(p) => write!(
                out,
                "{:.2}%",
                p.round_dp_with_strategy(2, MidpointAwayFromZero)
            ),
            // Beyond 10^26 as a rate: shown as it is, never a panic.
            None => write!(out, "{d}×100%"),
        },
        Spec::Money => write!(
            out,
            "{:.2}",
            d.round_dp_with_strategy(2, MidpointAwayFromZero)
        ),
    };
}

/// A date as `YYYY-MM-DD`.
pub(crate) fn write_date(out: &mut String, d: NaiveDate) {
    let _ = write!(out, "{d}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(d: &str, spec: Spec) -> String {
        let mut out = String::new();
        write_decimal(&mut out, d.parse().unwrap_or_default(), spec);
        out
    }

    #[test]
    fn each_placeholder_rounds_as_it_says() {
        let table = [
            ("0.0550", Spec::Plain, "0.055"),
            ("0.000", Spec::Plain, "0"),
            ("0.055", Spec::Percent, "5.50%"),
            ("0.123456", Spec::Percent, "12.35%"),
            ("0.00005", Spec::Percent, "0.01%"),
            ("2.345", Spec::Money, "2.35"),
            ("-2.345", Spec::Money, "-2.35"),
            ("100", Spec::Money, "100.00"),
            (
                "79228162514264337593543950335",
                Spec::Percent,
                "79228162514264337593543950335×100%",
            ),
        ];
        for (value, spec, expected) in table {
            assert_eq!(shown(value, spec), expected, "{value} as {spec:?}");
        }
    }
}

//! Exact formatting of the values in reasons (money, rates, decimals, dates, integers): byte for
//! byte what `rust_decimal` and `chrono` print, without the `fmt` machinery or decimal arithmetic.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// How a placeholder shows a decimal: `{}` as is, `{%}` a rate, `{元}` money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spec {
    /// `{}`: `d.normalize()` (trailing zeros dropped).
    Plain,
    /// `{%}`: `{:.2}%` of `d × 100` rounded half away from zero to 2 decimals.
    Percent,
    /// `{元}`: `{:.2}` of `d` rounded half away from zero to 2 decimals.
    Money,
}

/// 10^0 ..= 10^32 (a decimal's scale is at most 28; rates are shifted by 4 more).
const POW10: [u128; 33] = {
    let mut t = [1u128; 33];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

#[inline]
fn pow10(n: u32) -> u128 {
    POW10[n as usize]
}

/// "00", "01", …, "99": two digits at a time.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// [`PAIRS`] as text: a pair is appended without checking that it is UTF-8.
const PAIRS_TEXT: &str = "\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `v` (below 100) as two digits.
#[inline]
fn pair_text(v: u64) -> &'static str {
    let i = 2 * v as usize;
    PAIRS_TEXT.get(i..i + 2).unwrap_or("??")
}

/// `v`'s digits. Below 10^8 (most values in reasons) a digit or pairs of digits are appended
/// straight away; longer numbers go through [`Ascii`].
#[inline]
fn write_u64(out: &mut String, v: u64) {
    if v < 10_000 {
        write_below_10_000(out, v);
    } else if v < 100_000_000 {
        let (high, low) = (v / 10_000, v % 10_000);
        write_below_10_000(out, high);
        out.push_str(pair_text(low / 100));
        out.push_str(pair_text(low % 100));
    } else {
        let mut a = Ascii::new();
        a.digits(v, 1);
        a.push_to(out);
    }
}

/// `v`'s digits, `v` below 10,000.
#[inline]
fn write_below_10_000(out: &mut String, v: u64) {
    if v < 10 {
        out.push(char::from(b'0' + v as u8));
    } else if v < 100 {
        out.push_str(pair_text(v));
    } else {
        let (high, low) = (v / 100, v % 100);
        if high < 10 {
            out.push(char::from(b'0' + high as u8));
        } else {
            out.push_str(pair_text(high));
        }
        out.push_str(pair_text(low));
    }
}

/// ASCII built right to left on the stack, then appended to a string at once.
struct Ascii {
    buf: [u8; 48],
    start: usize,
}

impl Ascii {
    #[inline]
    fn new() -> Self {
        Self {
            buf: [0; 48],
            start: 48,
        }
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.start -= 1;
        if let Some(slot) = self.buf.get_mut(self.start) {
            *slot = b;
        }
    }

    /// `v` (below 100) as two digits.
    #[inline]
    fn pair(&mut self, v: u64) {
        let i = 2 * v as usize;
        self.start -= 2;
        if let (Some(slot), Some(pair)) = (
            self.buf.get_mut(self.start..self.start + 2),
            PAIRS.get(i..i + 2),
        ) {
            slot.copy_from_slice(pair);
        }
    }

    /// `v`'s digits, zero-padded to `width`.
    #[inline]
    fn digits(&mut self, mut v: u64, width: usize) {
        let end = self.start;
        while v >= 100 {
            self.pair(v % 100);
            v /= 100;
        }
        if v >= 10 {
            self.pair(v);
        } else {
            self.byte(b'0' + v as u8);
        }
        while end - self.start < width {
            self.byte(b'0');
        }
    }

    /// [`Self::digits`] of a mantissa-sized value (at most 2^110 here).
    fn wide(&mut self, v: u128, width: usize) {
        match u64::try_from(v) {
            Ok(v) => self.digits(v, width),
            Err(_) => {
                let end = self.start;
                let (high, low) = (v / POW10[19], v % POW10[19]);
                self.digits(u64::try_from(low).unwrap_or_default(), 19);
                self.wide(high, 0);
                while end - self.start < width {
                    self.byte(b'0');
                }
            }
        }
    }

    /// `v / 10^point` with `point` decimals.
    #[inline]
    fn fixed(&mut self, v: u128, point: u32) {
        if let (Ok(v), Some(&p)) = (u64::try_from(v), POW10_64.get(point as usize)) {
            // The usual case, in 64 bits.
            if point == 0 {
                return self.digits(v, 1);
            }
            self.digits(v % p, point as usize);
            self.byte(b'.');
            return self.digits(v / p, 1);
        }
        if point == 0 {
            return self.wide(v, 1);
        }
        let (units, fraction) = div_rem(v, pow10(point));
        self.wide(fraction, point as usize);
        self.byte(b'.');
        self.wide(units, 1);
    }

    #[inline]
    fn push_to(&self, out: &mut String) {
        if let Some(Ok(s)) = self.buf.get(self.start..).map(std::str::from_utf8) {
            out.push_str(s);
        }
    }
}

/// 10^0 ..= 10^19, the powers of ten within 64 bits.
const POW10_64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `(v / p, v % p)`, in 64 bits when both fit (the usual case: 128-bit division is slow).
#[inline]
fn div_rem(v: u128, p: u128) -> (u128, u128) {
    match (u64::try_from(v), u64::try_from(p)) {
        (Ok(v), Ok(p)) => (u128::from(v / p), u128::from(v % p)),
        _ => (v / p, v % p),
    }
}

/// `u / 10^scale` rounded half away from zero to `digits` decimals, in units of 10^-digits.
#[inline]
fn round_to(u: u128, scale: u32, digits: u32) -> u128 {
    if scale <= digits {
        return u * pow10(digits - scale);
    }
    let p = pow10(scale - digits);
    let (q, r) = div_rem(u, p);
    if r >= p - r { q + 1 } else { q }
}

/// `-` when negative, then `v / 10^point` with `point` decimals, then `suffix` (0: none).
#[inline]
fn write_fixed(out: &mut String, negative: bool, v: u128, point: u32, suffix: u8) {
    let mut a = Ascii::new();
    if suffix != 0 {
        a.byte(suffix);
    }
    a.fixed(v, point);
    if negative {
        a.byte(b'-');
    }
    a.push_to(out);
}

/// [`round_to`] in 64 bits, when the mantissa and the powers of ten fit (the usual case).
#[inline]
fn round64(u: u128, scale: u32, digits: u32) -> Option<u64> {
    let u = u64::try_from(u).ok()?;
    if scale <= digits {
        return u.checked_mul(*POW10_64.get((digits - scale) as usize)?);
    }
    let p = *POW10_64.get((scale - digits) as usize)?;
    let (q, r) = (u / p, u % p);
    Some(if r >= p - r { q + 1 } else { q })
}

/// `-` when negative, `v / 100` with two decimals, then `suffix` (`None`: none).
#[inline]
fn write_hundredths(out: &mut String, negative: bool, v: u64, suffix: Option<char>) {
    if negative {
        out.push('-');
    }
    write_u64(out, v / 100);
    out.push('.');
    out.push_str(pair_text(v % 100));
    if let Some(suffix) = suffix {
        out.push(suffix);
    }
}

/// `{元}`: `format!("{:.2}", d.round_dp_with_strategy(2, MidpointAwayFromZero))`.
pub(crate) fn write_money(out: &mut String, d: Decimal) {
    let u = d.mantissa().unsigned_abs();
    // rust_decimal keeps the sign of a zero, and drops it when a value rounds to zero.
    let negative = |v: u128| d.is_sign_negative() && (u == 0 || v != 0);
    match round64(u, d.scale(), 2) {
        Some(v) => write_hundredths(out, negative(v.into()), v, None),
        None => {
            let v = round_to(u, d.scale(), 2);
            write_fixed(out, negative(v), v, 2, 0);
        }
    }
}

/// `{%}`: `format!("{:.2}%", (d * 100).round_dp_with_strategy(2, MidpointAwayFromZero))`.
/// (× 100 is exact in rust_decimal, or panics on overflow where this prints the exact value.)
pub(crate) fn write_percent(out: &mut String, d: Decimal) {
    let u = d.mantissa().unsigned_abs();
    // A zero product is rust_decimal's ZERO, a value rounded to zero loses its sign.
    match round64(u, d.scale(), 4) {
        Some(v) => write_hundredths(out, d.is_sign_negative() && v != 0, v, Some('%')),
        None => {
            let v = round_to(u, d.scale(), 4);
            write_fixed(out, d.is_sign_negative() && v != 0, v, 2, b'%');
        }
    }
}

/// `{}`: `d.normalize().to_string()`.
pub(crate) fn write_plain(out: &mut String, d: Decimal) {
    let mut u = d.mantissa().unsigned_abs();
    if u == 0 {
        return out.push('0');
    }
    let mut scale = d.scale();
    while scale > 0 {
        match div_rem(u, 10) {
            (q, 0) => u = q,
            _ => break,
        }
        scale -= 1;
    }
    write_fixed(out, d.is_sign_negative(), u, scale, 0);
}

/// A decimal as `spec` shows it.
#[inline]
pub(crate) fn write_decimal(out: &mut String, d: Decimal, spec: Spec) {
    match spec {
        Spec::Plain => write_plain(out, d),
        Spec::Percent => write_percent(out, d),
        Spec::Money => write_money(out, d),
    }
}

/// `d.to_string()`: `YYYY-MM-DD` (chrono's own output for years outside 0..=9999).
pub(crate) fn write_date(out: &mut String, d: NaiveDate) {
    let Some(year) = u64::try_from(d.year()).ok().filter(|y| *y <= 9999) else {
        return write_chrono(out, d);
    };
    let pair = |v: u64| {
        let i = 2 * v as usize;
        PAIRS.get(i..i + 2).unwrap_or(b"??")
    };
    let mut text = *b"0000-00-00";
    text[0..2].copy_from_slice(pair(year / 100));
    text[2..4].copy_from_slice(pair(year % 100));
    text[5..7].copy_from_slice(pair(u64::from(d.month())));
    text[8..10].copy_from_slice(pair(u64::from(d.day())));
    if let Ok(s) = std::str::from_utf8(&text) {
        out.push_str(s);
    }
}

#[cold]
fn write_chrono(out: &mut String, d: NaiveDate) {
    use std::fmt::Write;
    let _ = write!(out, "{d}");
}

/// `i.to_string()`.
pub(crate) fn write_int(out: &mut String, i: i64) {
    if i < 0 {
        out.push('-');
    }
    write_u64(out, i.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::RoundingStrategy::MidpointAwayFromZero;

    /// `s` as a decimal; "-0…" is a zero with its sign set, as subtraction can leave it.
    fn dec(s: &str) -> Decimal {
        let mut d: Decimal = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        if s.starts_with('-') {
            d.set_sign_negative(true);
        }
        d
    }

    fn with(f: impl Fn(&mut String)) -> String {
        let mut out = String::from("«");
        f(&mut out);
        out.strip_prefix('«').unwrap_or_default().to_owned()
    }

    /// Mantissa, scale and sign: every value the table below builds from strings, and more.
    fn decimals() -> Vec<Decimal> {
        let mut all: Vec<Decimal> = [
            "0",
            "-0",
            "0.000",
            "-0.000",
            "1",
            "-1",
            "0.005",
            "-0.005",
            "0.004999",
            "-0.004999",
            "0.015",
            "0.025",
            "-0.025",
            "0.00005",
            "-0.00005",
            "0.0000499",
            "-0.0000499",
            "0.055",
            "1.500",
            "100",
            "-100",
            "1.005",
            "2.675",
            "12345.675",
            "-12345.675",
            "300000.00",
            "200000",
            "0.3",
            "0.30",
            "1.1",
            "99.995",
            "-99.995",
            "0.999999",
            "0.0000000000000000000000000001",
            "-0.0000000000000000000000000001",
            "0.0000000000000000000000000050",
            "0.1234567890123456789012345678",
            "7.9228162514264337593543950335",
            "-7.9228162514264337593543950335",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "7922816251426433759354395033.5",
            "792281625142643375935439503.35",
            "79228162514264337593543950.335",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551616.5",
            "1844674407370955161.65",
            "10000000000000000000",
            "1000000000000000000000000000",
            "0.0000000000000000000000000000",
        ]
        .iter()
        .map(|s| dec(s))
        .collect();
        for scale in 0..=28 {
            for m in [0i128, 1, -1, 5, -5, 50, -50, 995, 1005, -1005, 123_456_789] {
                all.push(Decimal::from_i128_with_scale(m, scale));
            }
            all.push(Decimal::from_i128_with_scale(-0, scale).neg_zero());
            all.push(Decimal::from_i128_with_scale((1i128 << 96) - 1, scale));
            all.push(Decimal::from_i128_with_scale(-((1i128 << 96) - 1), scale));
            all.push(Decimal::from_i128_with_scale(5 * 10i128.pow(20), scale));
        }
        all
    }

    trait NegZero {
        fn neg_zero(self) -> Self;
    }

    impl NegZero for Decimal {
        fn neg_zero(mut self) -> Self {
            self.set_sign_negative(true);
            self
        }
    }

    #[test]
    fn money_is_rust_decimal_rounded_half_away_from_zero() {
        let table = [
            ("0", "0.00"),
            ("-0", "-0.00"),
            ("0.005", "0.01"),
            ("-0.005", "-0.01"),
            ("-0.004", "0.00"),
            ("0.004999", "0.00"),
            ("1.500", "1.50"),
            ("100", "100.00"),
            ("12345.675", "12345.68"),
            ("-12345.675", "-12345.68"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335.00",
            ),
        ];
        for (input, expected) in table {
            assert_eq!(with(|o| write_money(o, dec(input))), expected, "{input}");
        }
        for d in decimals() {
            let slow = format!("{:.2}", d.round_dp_with_strategy(2, MidpointAwayFromZero));
            assert_eq!(
                with(|o| write_money(o, d)),
                slow,
                "{d:?} scale {}",
                d.scale()
            );
        }
    }

    #[test]
    fn percent_is_rust_decimal_times_100_rounded() {
        let table = [
            ("0.055", "5.50%"),
            ("0", "0.00%"),
            ("-0", "0.00%"),
            ("0.00005", "0.01%"),
            ("-0.00005", "-0.01%"),
            ("-0.0000499", "0.00%"),
            ("0.3", "30.00%"),
            ("1.5", "150.00%"),
        ];
        for (input, expected) in table {
            assert_eq!(with(|o| write_percent(o, dec(input))), expected, "{input}");
        }
        let mut compared = 0;
        for d in decimals() {
            // rust_decimal panics when d × 100 overflows; there is nothing to compare with then.
            let Some(times_100) = d.checked_mul(Decimal::ONE_HUNDRED) else {
                continue;
            };
            let slow = format!(
                "{:.2}%",
                times_100.round_dp_with_strategy(2, MidpointAwayFromZero)
            );
            assert_eq!(
                with(|o| write_percent(o, d)),
                slow,
                "{d:?} scale {}",
                d.scale()
            );
            compared += 1;
        }
        assert!(compared > 300, "{compared}");
        // Where rust_decimal would overflow, the exact value.
        assert_eq!(
            with(|o| write_percent(o, Decimal::MAX)),
            "7922816251426433759354395033500.00%"
        );
    }

    #[test]
    fn plain_is_normalized_display() {
        let table = [
            ("1.500", "1.5"),
            ("100", "100"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("0.30", "0.3"),
            ("-1.10", "-1.1"),
            (
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000001",
            ),
        ];
        for (input, expected) in table {
            assert_eq!(with(|o| write_plain(o, dec(input))), expected, "{input}");
        }
        for d in decimals() {
            let slow = format!("{}", d.normalize());
            assert_eq!(
                with(|o| write_plain(o, d)),
                slow,
                "{d:?} scale {}",
                d.scale()
            );
        }
    }

    #[test]
    fn dates_are_chrono_display() {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("{y}"));
        let table = [
            (ymd(2025, 1, 1), "2025-01-01"),
            (ymd(2026, 12, 31), "2026-12-31"),
            (ymd(999, 3, 9), "0999-03-09"),
            (ymd(7, 10, 10), "0007-10-10"),
            (ymd(0, 2, 29), "0000-02-29"),
            (ymd(9999, 12, 31), "9999-12-31"),
            (ymd(10000, 1, 1), "+10000-01-01"),
            (ymd(-1, 1, 1), "-0001-01-01"),
            (NaiveDate::MIN, &NaiveDate::MIN.to_string()),
            (NaiveDate::MAX, &NaiveDate::MAX.to_string()),
        ];
        for (d, expected) in table {
            assert_eq!(with(|o| write_date(o, d)), expected);
            assert_eq!(with(|o| write_date(o, d)), d.to_string());
        }
        let mut d = ymd(1999, 12, 1);
        while d < ymd(2001, 3, 1) {
            assert_eq!(with(|o| write_date(o, d)), d.to_string());
            d = d.succ_opt().unwrap_or(d);
        }
    }

    #[test]
    fn ints_are_display() {
        let mut edges = vec![i64::MAX, i64::MIN, i64::MIN + 1];
        for p in 4..=18 {
            let p = 10_i64.pow(p);
            edges.extend([p - 1, p, p + 1, p + 4321, -p, 7 * p + 10_001]);
        }
        for i in (-10_100..=10_100).chain(edges) {
            assert_eq!(with(|o| write_int(o, i)), i.to_string());
        }
    }

    #[test]
    fn appends_to_what_is_there() {
        let mut out = String::from("金额 ");
        write_money(&mut out, dec("1.5"));
        out.push(' ');
        write_percent(&mut out, dec("0.055"));
        out.push(' ');
        write_date(&mut out, NaiveDate::MIN);
        assert_eq!(out, format!("金额 1.50 5.50% {}", NaiveDate::MIN));
    }
}

//! The rule API: `require`, `grant`, per-item grants, dates, money and helpers, and the
//! per-evaluation state they write to (one evaluation at a time per thread).

use chrono::{Datelike, NaiveDate};

use rhai::{Dynamic, Engine, EvalAltResult, INT, ImmutableString};
use rust_decimal::{Decimal, RoundingStrategy};

pub(crate) use super::state::{STATE, State, half_up, missing};
use super::state::{grant, grant_item, open_item, record, record_scope};
use super::view::FirmView;
use crate::profiles::Sector;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// A calendar date in a rule (`date("2025-01-01")`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub NaiveDate);

impl Day {
    pub const MIN: Self = Self(NaiveDate::MIN);
}

fn parse_date(s: &str) -> Res<Day> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Day)
        .map_err(|_| format!("日期应为YYYY-MM-DD: '{s}'").into())
}

fn current_firm() -> Res<FirmView> {
    STATE
        .with_borrow(|s| s.firm.clone())
        .ok_or_else(|| "没有正在评估的企业".into())
}

/// Registers the rule API.
pub(crate) fn register(engine: &mut Engine) {
    engine.register_fn("require", |_: bool| -> Res<()> {
        Err("require 需要原因: require(条件, \"原因\")".into())
    });
    engine.register_fn("require", |c: bool, t: &str| record::<Dynamic>(c, t, &[]));
    engine.register_fn("require", |c: bool, t: &str, a: Dynamic| record(c, t, &[a]));
    engine.register_fn("require", |c: bool, t: &str, a: Dynamic, b: Dynamic| {
        record(c, t, &[a, b])
    });
    engine.register_fn(
        "require",
        |c: bool, t: &str, a: Dynamic, b: Dynamic, d: Dynamic| record(c, t, &[a, b, d]),
    );
    engine.register_fn(
        "require",
        |c: bool, t: &str, a: Dynamic, b: Dynamic, d: Dynamic, e: Dynamic| {
            record(c, t, &[a, b, d, e])
        },
    );
    engine.register_fn("scope", |_: bool| -> Res<()> {
        Err("scope 需要原因: scope(条件, \"原因\")".into())
    });
    engine.register_fn("scope", |c: bool, t: &str| {
        record_scope::<Dynamic>(c, t, &[])
    });
    engine.register_fn("scope", |c: bool, t: &str, a: Dynamic| {
        record_scope(c, t, &[a])
    });
    engine.register_fn("scope", |c: bool, t: &str, a: Dynamic, b: Dynamic| {
        record_scope(c, t, &[a, b])
    });
    engine.register_fn("grant", |x: Dynamic, t: &str| grant::<Dynamic>(&x, t, &[]));
    engine.register_fn("grant", |x: Dynamic, t: &str, a: Dynamic| {
        grant(&x, t, &[a])
    });
    engine.register_fn("grant", |x: Dynamic, t: &str, a: Dynamic, b: Dynamic| {
        grant(&x, t, &[a, b])
    });
    engine.register_fn(
        "grant",
        |x: Dynamic, t: &str, a: Dynamic, b: Dynamic, c: Dynamic| grant(&x, t, &[a, b, c]),
    );
    engine.register_fn(
        "grant",
        |x: Dynamic, t: &str, a: Dynamic, b: Dynamic, c: Dynamic, d: Dynamic| {
            grant(&x, t, &[a, b, c, d])
        },
    );
    engine.register_fn("item", |k: &str, d: Day| open_item(k, d));
    engine.register_fn("grant_item", |x: Dynamic, t: &str| {
        grant_item::<Dynamic>(&x, t, &[])
    });
    engine.register_fn("grant_item", |x: Dynamic, t: &str, a: Dynamic| {
        grant_item(&x, t, &[a])
    });
    engine.register_fn("counted_items", || {
        STATE.with_borrow(|s| s.items.iter().filter(|i| i.passed).count() as INT)
    });

    // Dates.
    engine
        .register_type_with_name::<Day>("Date")
        .register_fn("date", |s: &str| parse_date(s))
        .register_fn("to_string", |d: &mut Day| d.0.to_string())
        .register_fn("to_debug", |d: &mut Day| d.0.to_string())
        .register_fn("within", |d: Day, a: Day, b: Day| a <= d && d <= b)
        .register_get("year", |d: &mut Day| INT::from(d.0.year()))
        .register_get("month", |d: &mut Day| INT::from(d.0.month()))
        .register_get("day", |d: &mut Day| INT::from(d.0.day()))
        .register_fn("==", |a: Day, b: Day| a == b)
        .register_fn("!=", |a: Day, b: Day| a != b)
        .register_fn("<", |a: Day, b: Day| a < b)
        .register_fn("<=", |a: Day, b: Day| a <= b)
        .register_fn(">", |a: Day, b: Day| a > b)
        .register_fn(">=", |a: Day, b: Day| a >= b);

    // Money: exact decimals, rounding always named.
    engine
        .register_fn("round_half_up", half_up)
        .register_fn("round_half_up", |d: Decimal, dp: INT| {
            d.round_dp_with_strategy(
                dp.clamp(0, 10) as u32,
                RoundingStrategy::MidpointAwayFromZero,
            )
        })
        .register_fn("round_down", |d: Decimal| {
            d.round_dp_with_strategy(2, RoundingStrategy::ToZero)
        })
        .register_fn("ratio", |a: INT, b: INT| ratio(a.into(), b.into()))
        .register_fn("ratio", |a: Decimal, b: Decimal| ratio(a, b))
        .register_fn("ratio", |a: INT, b: Decimal| ratio(a.into(), b))
        .register_fn("ratio", |a: Decimal, b: INT| ratio(a, b.into()))
        .register_fn("compare", |a: INT, b: INT| order(a.cmp(&b)))
        .register_fn("compare", |a: Decimal, b: Decimal| order(a.cmp(&b)))
        .register_fn("compare", |a: Day, b: Day| order(a.cmp(&b)))
        .register_fn("compare", |a: ImmutableString, b: ImmutableString| {
            order(a.as_str().cmp(b.as_str()))
        })
        .register_fn("min", |a: Decimal, b: Decimal| a.min(b))
        .register_fn("max", |a: Decimal, b: Decimal| a.max(b));

    // The firm being evaluated.
    engine
        .register_fn("annual", |y: INT| current_firm().map(|f| f.year(y)))
        .register_fn("sme_size", |y: INT| current_firm().map(|f| f.size(y)))
        .register_fn("sector", || -> Res<ImmutableString> {
            let f = current_firm()?;
            Ok(match f.0.profile.industry_code.as_deref() {
                Some(code) => Sector::of(code).name().into(),
                None => missing(|| "缺少行业代码数据".into(), ImmutableString::new()),
            })
        })
        .register_fn("industry_section", || -> Res<ImmutableString> {
            let f = current_firm()?;
            Ok(match f.0.profile.industry_code.as_deref() {
                Some(code) => code.get(..1).unwrap_or_default().into(),
                None => missing(|| "缺少行业代码数据".into(), ImmutableString::new()),
            })
        })
        .register_fn("in_region", |prefix: &str| -> Res<bool> {
            let f = current_firm()?;
            Ok(match &f.0.profile.region_code {
                Some(r) => r.within(prefix),
                None => missing(|| "缺少注册地行政区划数据".into(), false),
            })
        })
        .register_fn("certs", |kind: &str| -> Res<rhai::Array> {
            let f = current_firm()?;
            Ok(f.0
                .certs
                .iter()
                .filter(|c| {
                    (*c).clone()
                        .try_cast::<super::view::CertView>()
                        .is_some_and(|cv| cv.kind.as_str() == kind)
                })
                .cloned()
                .collect())
        });

    register_type_errors(engine);
    register_has(engine);
}

/// Decimal places a [`ratio`] keeps.
pub(crate) const RATIO_PLACES: u32 = 20;

/// `a / b` for money and rates: exact when the quotient has at most [`RATIO_PLACES`] (20)
/// decimal places (every rate of whole numbers of people or fen over a denominator made of
/// 2s and 5s: `ratio(11, 200)` is `0.055`), otherwise rounded to 20 places **half to even**
/// (banker's rounding), after rust_decimal's division to 28 significant digits. Never a
/// float, never truncated.
///
/// Comparisons with a rate stay exact: for a rate of at most 4 decimal places (`0.05`,
/// `0.0525`) and a denominator below 10^14 yuan (or 10^16 people), an exact quotient other
/// than the rate differs from it by at least 10^-20, more than the rounding can move it, so
/// `ratio(a, b) < 0.05` is true exactly when a / b < 0.05 (tests/rules_language.rs checks
/// quotients 10^-17 either side of a rate).
fn ratio(a: Decimal, b: Decimal) -> Res<Decimal> {
    if b.is_zero() {
        return Err("ratio: 分母为0".into());
    }
    let quotient = a
        .checked_div(b)
        .ok_or_else(|| format!("ratio: {a}/{b} 超出十进制数范围"))?;
    Ok(quotient.round_dp_with_strategy(RATIO_PLACES, RoundingStrategy::MidpointNearestEven))
}

/// An ordering as `sort` wants it: -1, 0 or 1.
fn order(o: std::cmp::Ordering) -> INT {
    o as INT
}

/// `has(expr)`: true when every profile value `expr` reads is present. A missing value read
/// inside `has` marks nothing: the next condition is not failed by it.
fn register_has(engine: &mut Engine) {
    let syntax =
        engine.register_custom_syntax(["has", "(", "$expr$", ")"], false, |ctx, inputs| {
            let (before, reads, stand_ins) =
                STATE.with_borrow(|s| (s.missing.clone(), s.missing_reads, s.stand_ins.len()));
            let Some(expr) = inputs.first() else {
                return Ok(Dynamic::FALSE);
            };
            // Only what the expression reads matters, not its value.
            let _value = ctx.eval_expression_tree(expr)?;
            let present = STATE.with_borrow_mut(|s| {
                let present = s.missing_reads == reads;
                // Whatever `has` read is the rule's question, not missing data of the firm.
                s.missing = before;
                s.stand_ins.truncate(stand_ins);
                present
            });
            Ok(Dynamic::from_bool(present))
        });
    if let Err(e) = syntax {
        unreachable!("`has(…)` is valid custom syntax: {e}");
    }
}

/// Comparing values of different types is an error, never a silent `false`.
fn register_type_errors(engine: &mut Engine) {
    macro_rules! pair {
        ($a:ty, $b:ty) => {
            for op in ["==", "!=", "<", "<=", ">", ">="] {
                engine.register_fn(op, move |_: $a, _: $b| -> Res<bool> {
                    Err(format!(
                        "类型不匹配: 不能比较 {} 与 {}",
                        stringify!($a),
                        stringify!($b)
                    )
                    .into())
                });
            }
        };
    }
    macro_rules! row {
        ($a:ty; $($b:ty),*) => { $( pair!($a, $b); pair!($b, $a); )* };
    }
    row!((); bool, INT, Decimal, ImmutableString, Day);
    row!(bool; INT, Decimal, ImmutableString, Day);
    row!(INT; ImmutableString, Day);
    row!(Decimal; ImmutableString, Day);
    row!(ImmutableString; Day);
}

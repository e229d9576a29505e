//! The rule API: `require`, `grant`, per-item grants, dates, money and helpers, and the
//! per-evaluation state they write to (one evaluation at a time per thread).

use std::cell::RefCell;

use chrono::{Datelike, NaiveDate};
use rhai::{Dynamic, Engine, EvalAltResult, INT, ImmutableString};
use rust_decimal::{Decimal, RoundingStrategy};

use super::decision::{Item, Reason};
use super::view::FirmView;
use crate::profiles::Sector;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// A calendar date in a rule (`date("2025-01-01")`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub NaiveDate);

impl Day {
    pub const MIN: Self = Self(NaiveDate::MIN);
}

/// What one evaluation has recorded so far.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) explain: bool,
    pub(crate) failed: bool,
    /// Missing data read since the last condition; it fails the next condition.
    pub(crate) missing: Option<String>,
    pub(crate) reasons: Vec<Reason>,
    pub(crate) amount: Option<Decimal>,
    pub(crate) items: Vec<Item>,
    pub(crate) open: Option<Item>,
    pub(crate) firm: Option<FirmView>,
}

thread_local! {
    pub(crate) static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Marks missing data for the current condition and returns the typed placeholder.
pub(crate) fn missing<T>(what: impl FnOnce() -> String, placeholder: T) -> T {
    STATE.with_borrow_mut(|s| {
        if s.missing.is_none() {
            s.missing = Some(if s.explain { what() } else { String::new() });
        }
    });
    placeholder
}

/// Renders `{}` (as is), `{%}` (a rate as a percentage, 2 decimals) and `{元}` (money, 2 decimals).
pub(crate) fn render(text: &str, args: &[Dynamic]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    let mut args = args.iter();
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (spec, len) = if tail.starts_with("{}") {
            ("", 2)
        } else if tail.starts_with("{%}") {
            ("%", 3)
        } else if tail.starts_with("{元}") {
            ("元", "{元}".len())
        } else {
            out.push('{');
            rest = &tail[1..];
            continue;
        };
        out.push_str(&args.next().map_or_else(|| "?".into(), |a| show(a, spec)));
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

fn show(v: &Dynamic, spec: &str) -> String {
    if let Some(d) = v.clone().try_cast::<Decimal>() {
        return match spec {
            "%" => format!(
                "{:.2}%",
                (d * Decimal::ONE_HUNDRED)
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            ),
            "元" => format!(
                "{:.2}",
                d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            ),
            _ => d.normalize().to_string(),
        };
    }
    if let Some(Day(d)) = v.clone().try_cast::<Day>() {
        return d.to_string();
    }
    if let Ok(b) = v.as_bool() {
        return if b { "是" } else { "否" }.into();
    }
    if v.is_unit() {
        return "(无)".into();
    }
    v.to_string()
}

fn record(passed: bool, text: &str, args: &[Dynamic]) {
    STATE.with_borrow_mut(|s| {
        let missing = s.missing.take();
        let passed = passed && missing.is_none();
        let reason = s.explain.then(|| {
            let t = render(text, args);
            Reason {
                text: missing.map_or(t.clone(), |m| format!("{t}: {m}")),
                passed,
            }
        });
        match s.open.as_mut() {
            Some(item) => {
                item.passed &= passed;
                item.reasons.extend(reason);
            }
            None => {
                s.failed |= !passed;
                s.reasons.extend(reason);
            }
        }
    });
}

fn to_decimal(v: &Dynamic) -> Res<Decimal> {
    if let Ok(i) = v.as_int() {
        return Ok(Decimal::from(i));
    }
    v.clone()
        .try_cast::<Decimal>()
        .ok_or_else(|| format!("金额应为数值, 实为 {}", v.type_name()).into())
}

fn grant(amount: &Dynamic, text: &str, args: &[Dynamic]) -> Res<()> {
    let amount = half_up(to_decimal(amount)?);
    STATE.with_borrow_mut(|s| {
        if s.open.is_some() {
            return Err("grant 不能在 item 内使用, 请用 grant_item".into());
        }
        let missing = s.missing.take();
        if s.explain {
            let t = render(text, args);
            let (text, passed) = match &missing {
                Some(m) => (format!("金额 {t}: {m}"), false),
                None => (format!("金额 {t} = {amount:.2} 元"), true),
            };
            s.reasons.push(Reason { text, passed });
        }
        match missing {
            Some(_) => s.failed = true,
            None => s.amount = Some(amount),
        }
        Ok(())
    })
}

fn open_item(key: &str, date: Day) -> Res<()> {
    STATE.with_borrow_mut(|s| {
        if s.open.is_some() {
            return Err("上一个 item 尚未以 grant_item 结束".into());
        }
        // Missing data read before the item belongs to the firm, not to the item.
        if let Some(m) = s.missing.take() {
            s.failed = true;
            if s.explain {
                s.reasons.push(Reason {
                    text: format!("规则读取了缺失的数据: {m}"),
                    passed: false,
                });
            }
        }
        s.open = Some(Item {
            key: key.into(),
            date: date.0,
            amount: Decimal::ZERO,
            passed: true,
            reasons: Vec::new(),
        });
        Ok(())
    })
}

fn grant_item(amount: &Dynamic, text: &str, args: &[Dynamic]) -> Res<()> {
    let amount = half_up(to_decimal(amount)?);
    STATE.with_borrow_mut(|s| {
        let mut item = s.open.take().ok_or("grant_item 之前没有 item(...)")?;
        let missing = s.missing.take();
        item.passed &= missing.is_none();
        if item.passed {
            item.amount = amount;
        }
        if s.explain {
            let t = render(text, args);
            let text = match missing {
                Some(m) => format!("金额 {t}: {m}"),
                None if item.passed => format!("金额 {t} = {amount:.2} 元"),
                None => format!("金额 {t}: 条件未满足, 不计"),
            };
            item.reasons.push(Reason {
                text,
                passed: item.passed,
            });
        }
        s.items.push(item);
        Ok(())
    })
}

pub(crate) fn half_up(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
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
    engine.register_fn("require", |c: bool, t: &str| record(c, t, &[]));
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
            record(c, t, &[a, b, d, e]);
        },
    );
    engine.register_fn("grant", |x: Dynamic, t: &str| grant(&x, t, &[]));
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
    engine.register_fn("grant_item", |x: Dynamic, t: &str| grant_item(&x, t, &[]));
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
        .register_fn("ratio", |a: INT, b: INT| -> Res<Decimal> {
            if b == 0 {
                Err("ratio: 分母为0".into())
            } else {
                Ok(Decimal::from(a) / Decimal::from(b))
            }
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

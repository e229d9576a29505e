//! Runs a compiled rule for one firm: a walk over the typed tree, with rhai's evaluation order
//! (left to right; a chain's method arguments and indexes before its root), its missing-data
//! placeholders and its operation budget. Anything it does not model exactly is handed to rhai.

use std::time::Instant;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::effects::Effects;
use super::fused::{Test, TestKind};
use super::ir::{Block, Const, Expr, Func, Method, Prop, Source, Step, Stmt};
use super::value::{Arrays, Value, arith, compare, negate};
use super::{Halt, HandOver};
use crate::profiles::{RegionCode, Sector, Status, derive_size};
use crate::rules::api::Day;
use crate::rules::engine::Limits;
use crate::rules::state::half_up;
use crate::rules::view::{FirmData, FirmView};

type Res<T> = Result<T, Halt>;

fn hand_over<T>(why: impl Into<String>) -> Res<T> {
    Err(HandOver::new(why).into())
}

/// One evaluation in progress.
pub(crate) struct Eval<'a, 's> {
    pub(crate) fx: &'s mut Effects<'a>,
    data: &'a FirmData,
    as_of: NaiveDate,
    /// The variables' slots, on the caller's stack.
    values: &'s mut [Value<'a>],
    arrays: Arrays<'a>,
    /// Conditions reached (`require`, `grant`, `grant_item`): for the benchmark's report of
    /// how much of a rule the early stop skips.
    pub(crate) conditions: u32,
    ops: u64,
    /// The operation count at which `tick` next looks at the budget and the clock.
    next_check: u64,
    limits: &'a Limits,
    /// Read once the rule has run 256 operations (the sample rules never get there).
    deadline: Option<Instant>,
}

/// The most arguments of one call, or of all the steps of one chain, the subset evaluates.
const MAX_ARGS: usize = 8;

/// How often (in operations) the clock is read.
const CLOCK_EVERY: u64 = 256;

/// Operations counted per node evaluated. rhai counts more than one per node (a statement, its
/// expression, each call, each chain step and argument…); the compiled path must never finish
/// a rule that rhai would stop for its budget, so it over-counts: with this weight it runs out
/// first on every budget from 5 to 400 operations over the six sample rules
/// (`tests/rules_compiled.rs`), and hands the evaluation over to rhai.
const OPS_PER_NODE: u64 = 4;

impl<'a, 's> Eval<'a, 's> {
    pub(crate) fn new(
        fx: &'s mut Effects<'a>,
        firm: &'a FirmView,
        as_of: NaiveDate,
        values: &'s mut [Value<'a>],
        limits: &'a Limits,
    ) -> Self {
        Self {
            fx,
            data: &firm.0,
            as_of,
            values,
            arrays: Arrays::default(),
            conditions: 0,
            ops: 0,
            next_check: (CLOCK_EVERY * OPS_PER_NODE).min(limits.max_operations.saturating_add(1)),
            limits,
            deadline: None,
        }
    }

    /// One operation of the budget (one per statement, expression, chain step and loop turn).
    #[inline]
    fn tick(&mut self) -> Res<()> {
        self.ticks(1)
    }

    /// `n` operations at once, for a fused node: past the budget exactly when `n` single ticks
    /// would have been (the count only grows).
    #[inline]
    fn ticks(&mut self, n: u64) -> Res<()> {
        self.ops += OPS_PER_NODE * n;
        if self.ops >= self.next_check {
            return self.check_budget();
        }
        Ok(())
    }

    #[cold]
    fn check_budget(&mut self) -> Res<()> {
        if self.ops > self.limits.max_operations {
            return hand_over("超出运算步数上限");
        }
        let now = Instant::now();
        match self.deadline {
            None => self.deadline = Some(now + self.limits.deadline),
            Some(d) if now > d => return Err(Halt::Deadline),
            Some(_) => {}
        }
        self.next_check =
            (self.ops + CLOCK_EVERY).min(self.limits.max_operations.saturating_add(1));
        Ok(())
    }

    pub(crate) fn run(&mut self, stmts: &'a [Stmt]) -> Res<()> {
        stmts.iter().try_for_each(|s| self.exec(s))
    }

    fn exec(&mut self, s: &'a Stmt) -> Res<()> {
        self.tick()?;
        match s {
            Stmt::Set(slot, e) => {
                let v = self.eval(e)?;
                self.set(*slot, v);
            }
            Stmt::Expr(e @ Expr::Call(Func::Require, args)) => match args.as_slice() {
                [cond, Expr::Const(Const::Str(text)), values @ ..] if values.len() <= 4 => {
                    self.require(cond, text, values)?;
                }
                _ => {
                    self.eval(e)?;
                }
            },
            Stmt::Expr(e) => {
                self.eval(e)?;
            }
            Stmt::If(cond, then, otherwise) => {
                if self.eval(cond)?.as_bool("if")? {
                    self.run(&then.stmts)?;
                } else if let Some(b) = otherwise {
                    self.run(&b.stmts)?;
                }
            }
            Stmt::Block(b) => self.run(&b.stmts)?,
            Stmt::Push(slot, e) => {
                let v = self.eval(e)?;
                if matches!(v, Value::Array(_)) {
                    return hand_over("数组中的数组");
                }
                let (max, budget) = (self.limits.max_array_size, budget(self.limits));
                match self.values.get(*slot) {
                    Some(Value::Array(id)) => {
                        let pushed = self.arrays.push(*id, v, max, budget)?;
                        self.set(*slot, pushed);
                    }
                    _ => return hand_over("push 不在子集内"),
                }
            }
            Stmt::For(slot, source, body) => self.for_loop(*slot, source, body)?,
        }
        Ok(())
    }

    /// `require(cond, "text", values…);` as a statement, the commonest one: the same steps,
    /// operations and checks as the general call, without its argument buffer and dispatch.
    fn require(&mut self, cond: &'a Expr, text: &'a str, values: &'a [Expr]) -> Res<()> {
        self.tick()?; // the call, as `eval` counts it
        self.conditions += 1;
        let passed = match cond {
            Expr::Test(t) => {
                self.ticks(t.ops)?;
                test(self.fx, self.data, t)?
            }
            _ => self.eval(cond)?,
        };
        self.tick()?; // the text constant
        let full = self.fx.full;
        let mut buf = [Value::Unit; 4];
        for (a, slot) in values.iter().zip(&mut buf) {
            if full {
                *slot = self.eval(a)?;
                continue;
            }
            // Without explanations, values that cannot have an effect are not even read.
            match a {
                Expr::Const(_) | Expr::Local(_) => {}
                // The field the fused condition has just read (and noted if missing): reading
                // it again changes nothing; its operations are still counted.
                Expr::Get(root, p)
                    if matches!(**root, Expr::Profile)
                        && matches!(cond, Expr::Test(t) if t.prop == *p) =>
                {
                    self.ticks(2)?;
                }
                _ => *slot = self.eval(a)?,
            }
        }
        let values = buf.get(..values.len()).unwrap_or_default();
        no_array_shown(self.fx, values)?;
        let Value::Bool(passed) = passed else {
            return hand_over(format!("Require({}, …) 不在子集内", passed.type_name()));
        };
        self.fx.require(passed, text, values)
    }

    fn set(&mut self, slot: usize, v: Value<'a>) {
        if let Some(s) = self.values.get_mut(slot) {
            *s = v;
        }
    }

    fn for_loop(&mut self, slot: usize, source: &'a Source, body: &'a Block) -> Res<()> {
        let max = self.limits.max_array_size;
        match source {
            Source::Certs(kind) => {
                let Value::Str(kind) = self.eval(kind)? else {
                    return hand_over("certs 需要字符串");
                };
                let data = self.data;
                if data.cert_list.len() > max {
                    return hand_over("证书过多");
                }
                for c in data.cert_list.iter().filter(|c| c.kind.as_str() == kind) {
                    self.tick()?;
                    self.set(slot, Value::Cert(c));
                    self.run(&body.stmts)?;
                }
            }
            Source::Hires => {
                let data = self.data;
                if data.hire_list.len() > max {
                    return hand_over("人员过多");
                }
                for h in &data.hire_list {
                    self.tick()?;
                    self.set(slot, Value::Hire(h));
                    self.run(&body.stmts)?;
                }
            }
            Source::Array(e) => {
                let Value::Array(id) = self.eval(e)? else {
                    return hand_over("for 只支持数组");
                };
                // As rhai, over the array as it was when the loop began (elements never change;
                // a push in the body grows a copy or, unshared, only beyond this length).
                for k in 0..self.arrays.get(id).len() {
                    self.tick()?;
                    let v = self.arrays.get(id).get(k).copied().unwrap_or(Value::Unit);
                    self.set(slot, v);
                    self.run(&body.stmts)?;
                }
            }
        }
        Ok(())
    }

    fn block_value(&mut self, b: &'a Block) -> Res<Value<'a>> {
        self.run(&b.stmts)?;
        match &b.value {
            Some(e) => self.eval(e),
            None => Ok(Value::Unit),
        }
    }

    /// One expression. Constants and `profile`, the commonest leaves, are read here without a
    /// call.
    #[inline]
    pub(crate) fn eval(&mut self, e: &'a Expr) -> Res<Value<'a>> {
        self.tick()?;
        match e {
            Expr::Const(c) => Ok(Value::of(c)),
            Expr::Profile => Ok(Value::Firm),
            _ => self.eval_node(e),
        }
    }

    /// Any expression, its operation already counted.
    fn eval_node(&mut self, e: &'a Expr) -> Res<Value<'a>> {
        Ok(match e {
            Expr::Const(c) => Value::of(c),
            Expr::Local(s) => {
                let v = self.values.get(*s).copied().unwrap_or(Value::Unit);
                if let Value::Array(id) = v {
                    self.arrays.share(id);
                }
                v
            }
            Expr::Profile => Value::Firm,
            Expr::AsOf => Value::Date(self.as_of),
            Expr::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i)?);
                }
                if out.len() > self.limits.max_array_size {
                    return hand_over("数组过大");
                }
                for v in &out {
                    if let Value::Array(inner) = v {
                        self.arrays.share(*inner);
                    }
                }
                self.arrays.add(out, budget(self.limits))?
            }
            Expr::Not(x) => Value::Bool(!self.eval(x)?.as_bool("!")?),
            Expr::Neg(x) => negate(&self.eval(x)?)?,
            Expr::And(a, b) => {
                Value::Bool(self.eval(a)?.as_bool("&&")? && self.eval(b)?.as_bool("&&")?)
            }
            Expr::Or(a, b) => {
                Value::Bool(self.eval(a)?.as_bool("||")? || self.eval(b)?.as_bool("||")?)
            }
            Expr::Compare(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                Value::Bool(compare(*op, &a, &b)?)
            }
            Expr::Arith(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                arith(*op, &a, &b)?
            }
            Expr::Get(root, p) => {
                self.tick()?;
                let recv = match &**root {
                    Expr::Local(s) => self.values.get(*s).unwrap_or(&Value::Unit),
                    _ => &Value::Firm,
                };
                get(self.fx, &mut self.arrays, self.data, recv, *p)?
            }
            Expr::Call(f, args) => {
                if args.len() > MAX_ARGS {
                    return hand_over("参数过多");
                }
                let mut buf = [Value::Unit; MAX_ARGS];
                // A reason's values are only shown with full explanations: without them, those
                // that cannot have an effect (constants, variables) are not even read.
                let condition = matches!(f, Func::Require | Func::Grant | Func::GrantItem);
                self.conditions += u32::from(condition);
                let reason_values_unused = !self.fx.full && condition;
                for ((k, a), slot) in args.iter().enumerate().zip(&mut buf) {
                    let inert = matches!(a, Expr::Const(_) | Expr::Local(_));
                    if !(reason_values_unused && k >= 2 && inert) {
                        *slot = self.eval(a)?;
                    }
                }
                let args = buf.get(..args.len()).unwrap_or_default();
                call(self.fx, &mut self.arrays, self.data, self.limits, *f, args)?
            }
            Expr::Chain(root, steps) => self.chain(root, steps)?,
            Expr::If(cond, then, otherwise) => {
                if self.eval(cond)?.as_bool("if")? {
                    self.block_value(then)?
                } else {
                    self.block_value(otherwise)?
                }
            }
            Expr::Test(t) => {
                self.ticks(t.ops - 1)?; // one counted by `eval`
                test(self.fx, self.data, t)?
            }
            Expr::HandOver(why) => return hand_over(*why),
        })
    }

    /// A chain: arguments and indexes first (left to right, as rhai), then the root, then steps.
    fn chain(&mut self, root: &'a Expr, steps: &'a [Step]) -> Res<Value<'a>> {
        let mut buf = [Value::Unit; MAX_ARGS];
        let mut n = 0;
        for s in steps {
            let args = match s {
                Step::Get(_) => continue,
                Step::Call(_, args) => args.as_slice(),
                Step::Index(i) => std::slice::from_ref(i),
            };
            for a in args {
                let v = self.eval(a)?;
                let Some(slot) = buf.get_mut(n) else {
                    return hand_over("参数过多");
                };
                *slot = v;
                n += 1;
            }
        }
        // A variable is read in place: its value does not escape the chain (an index gives
        // an element, a method a new value), so an array read here is not marked shared.
        let mut value = match root {
            Expr::Local(slot) => {
                self.tick()?;
                self.values.get(*slot).copied().unwrap_or(Value::Unit)
            }
            _ => self.eval(root)?,
        };
        let mut at = 0;
        for (k, s) in steps.iter().enumerate() {
            if k > 0 {
                self.tick()?;
            }
            let arity = match s {
                Step::Get(_) => 0,
                Step::Call(_, a) => a.len(),
                Step::Index(_) => 1,
            };
            let args = buf.get(at..at + arity).unwrap_or_default();
            at += arity;
            value = step(self.fx, &mut self.arrays, self.data, &value, s, args)?;
        }
        Ok(value)
    }
}

/// A fused test of a firm field (see `fused.rs`), its operations already counted.
#[inline]
fn test<'a>(fx: &mut Effects<'a>, data: &'a FirmData, t: &Test) -> Res<Value<'a>> {
    Ok(Value::Bool(match &t.kind {
        TestKind::StartsWith(prefix) => firm_text(fx, data, t.prop)?.starts_with(&**prefix),
        TestKind::Eq(c) => firm_text(fx, data, t.prop)? == &**c,
        TestKind::Ne(c) => firm_text(fx, data, t.prop)? != &**c,
        TestKind::Not => !firm_flag(fx, data, t.prop)?.as_bool("!")?,
    }))
}

/// A text field of the firm: its value, or `""` and missing data noted.
#[inline]
fn firm_text<'a>(fx: &mut Effects<'a>, data: &'a FirmData, p: Prop) -> Res<&'a str> {
    let p_ = &data.profile;
    Ok(match p {
        Prop::Uscc => data.uscc.as_str(),
        // Read from the profile's own typed fields: the same text as the view's strings.
        Prop::Status => text(fx, p_.status.map(Status::as_str), "登记状态"),
        Prop::RegionCode => text(
            fx,
            p_.region_code.as_ref().map(RegionCode::as_str),
            "注册地行政区划",
        ),
        Prop::IndustryCode => text(fx, p_.industry_code.as_deref(), "行业代码"),
        Prop::AboveScaleSince => text(fx, data.above_scale_since.as_deref(), "纳入规上统计月份"),
        Prop::TaxCreditGrade => text(fx, p_.tax_credit_grade.as_deref(), "纳税信用等级"),
        p => return hand_over(format!("{p:?} 不是企业的文本字段")),
    })
}

/// A yes/no field of the firm: its value, or `false` and missing data noted.
#[inline]
fn firm_flag<'a>(fx: &mut Effects<'a>, data: &'a FirmData, p: Prop) -> Res<Value<'a>> {
    let p_ = &data.profile;
    Ok(match p {
        Prop::SeriousDishonesty => flag(fx, p_.serious_dishonesty, "严重失信名单"),
        Prop::AbnormalOperation => flag(fx, p_.abnormal_operation, "经营异常名录"),
        p => return hand_over(format!("{p:?} 不是企业的是否字段")),
    })
}

/// A function of the rule API on evaluated arguments.
fn call<'a>(
    fx: &mut Effects<'a>,
    arrays: &mut Arrays<'a>,
    data: &'a FirmData,
    limits: &Limits,
    f: Func,
    args: &[Value<'a>],
) -> Res<Value<'a>> {
    if matches!(f, Func::Require | Func::Grant | Func::GrantItem) {
        no_array_shown(fx, args)?;
    }
    Ok(match (f, args) {
        (Func::Require, [Value::Bool(c), Value::Str(t), rest @ ..]) if rest.len() <= 4 => {
            fx.require(*c, t, rest)?;
            Value::Unit
        }
        (Func::Grant, [x, Value::Str(t), rest @ ..]) if rest.len() <= 4 => {
            fx.grant(x, t, rest)?;
            Value::Unit
        }
        (Func::GrantItem, [x, Value::Str(t), rest @ ..]) if rest.len() <= 1 => {
            fx.grant_item(x, t, rest)?;
            Value::Unit
        }
        (Func::Item, [Value::Str(k), Value::Date(d)]) => {
            fx.item(k, *d)?;
            Value::Unit
        }
        (Func::CountedItems, []) => Value::Int(fx.counted_items()),
        (Func::Date, [Value::Str(s)]) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Value::Date(d),
            Err(_) => return hand_over("日期格式错误"),
        },
        (Func::RoundHalfUp, [Value::Dec(d)]) => Value::Dec(half_up(*d)),
        (Func::RoundHalfUp, [Value::Dec(d), Value::Int(dp)]) => {
            Value::Dec(d.round_dp_with_strategy(
                u32::try_from((*dp).clamp(0, 10)).unwrap_or(0),
                RoundingStrategy::MidpointAwayFromZero,
            ))
        }
        (Func::RoundDown, [Value::Dec(d)]) => {
            Value::Dec(d.round_dp_with_strategy(2, RoundingStrategy::ToZero))
        }
        (Func::Ratio, [Value::Int(a), Value::Int(b)]) if *b != 0 => {
            match Decimal::from(*a).checked_div(Decimal::from(*b)) {
                Some(r) => Value::Dec(r),
                None => return hand_over("ratio 溢出"),
            }
        }
        (Func::Min, [Value::Dec(a), Value::Dec(b)]) => Value::Dec((*a).min(*b)),
        (Func::Max, [Value::Dec(a), Value::Dec(b)]) => Value::Dec((*a).max(*b)),
        (Func::Annual, [Value::Int(y)]) => Value::Year(*y, data.profile.annual_of(*y)),
        (Func::SmeSize, [Value::Int(y)]) => match derive_size(&data.profile, Some(*y)) {
            Some(s) => Value::Str(s.as_str()),
            None => {
                fx.missing(|| "无法确定企业规模".into());
                Value::Str("")
            }
        },
        (Func::Sector, []) => match data.profile.industry_code.as_deref() {
            Some(code) => Value::Str(Sector::of(code).name()),
            None => {
                fx.missing(|| "缺少行业代码数据".into());
                Value::Str("")
            }
        },
        (Func::IndustrySection, []) => match data.profile.industry_code.as_deref() {
            Some(code) => Value::Str(code.get(..1).unwrap_or_default()),
            None => {
                fx.missing(|| "缺少行业代码数据".into());
                Value::Str("")
            }
        },
        (Func::InRegion, [Value::Str(prefix)]) => match &data.profile.region_code {
            Some(r) => Value::Bool(r.within(prefix)),
            None => {
                fx.missing(|| "缺少注册地行政区划数据".into());
                Value::Bool(false)
            }
        },
        (Func::Certs, [Value::Str(kind)]) => {
            if data.cert_list.len() > limits.max_array_size {
                return hand_over("证书过多");
            }
            let of_kind = data.cert_list.iter().filter(|c| c.kind.as_str() == *kind);
            arrays.add(of_kind.map(Value::Cert).collect(), budget(limits))?
        }
        (f, args) => {
            let types: Vec<&str> = args.iter().map(Value::type_name).collect();
            return hand_over(format!("{f:?}({}) 不在子集内", types.join(", ")));
        }
    })
}

/// An array among a reason's values is not shown by the compiled path (`Value::to_dynamic`
/// cannot reach the evaluation's arrays): with explanations, rhai takes the evaluation over.
#[inline]
fn no_array_shown(fx: &Effects, values: &[Value]) -> Res<()> {
    if fx.full && values.iter().any(|v| matches!(v, Value::Array(_))) {
        return hand_over("理由中的数组不在子集内");
    }
    Ok(())
}

/// Elements all arrays of one evaluation may hold together (beyond: handed over to rhai).
fn budget(limits: &Limits) -> usize {
    limits.max_array_size.saturating_mul(4)
}

/// A string field that may be missing: the value, or `""` and missing data noted.
fn text<'a>(fx: &mut Effects<'a>, v: Option<&'a str>, label: &str) -> &'a str {
    v.unwrap_or_else(|| {
        fx.missing(|| format!("缺少{label}数据"));
        ""
    })
}

fn flag<'a>(fx: &mut Effects<'a>, v: Option<bool>, label: &str) -> Value<'a> {
    v.map_or_else(
        || {
            fx.missing(|| format!("缺少{label}数据"));
            Value::Bool(false)
        },
        Value::Bool,
    )
}

fn int<'a>(fx: &mut Effects<'a>, v: Option<i64>, label: &str) -> Value<'a> {
    v.map_or_else(
        || {
            fx.missing(|| format!("缺少{label}数据"));
            Value::Int(0)
        },
        Value::Int,
    )
}

fn day<'a>(fx: &mut Effects<'a>, v: Option<Day>, label: &str) -> Value<'a> {
    match v {
        Some(d) => Value::Date(d.0),
        None => {
            fx.missing(|| format!("缺少{label}数据"));
            Value::Date(Day::MIN.0)
        }
    }
}

/// One year's figure: the value, or the typed placeholder and `缺少<year>年度<label>数据`.
fn yearly<'a, T>(
    fx: &mut Effects<'a>,
    year: i64,
    v: Option<T>,
    label: &str,
    placeholder: T,
    wrap: fn(T) -> Value<'a>,
) -> Value<'a> {
    match v {
        Some(x) => wrap(x),
        None => {
            fx.missing(|| format!("缺少{year}年度{label}数据"));
            wrap(placeholder)
        }
    }
}

/// One step of a chain on `recv`, with that step's arguments.
fn step<'a>(
    fx: &mut Effects<'a>,
    arrays: &mut Arrays<'a>,
    data: &'a FirmData,
    recv: &Value<'a>,
    s: &'a Step,
    args: &[Value<'a>],
) -> Res<Value<'a>> {
    match s {
        Step::Get(p) => get(fx, arrays, data, recv, *p),
        Step::Call(m, _) => method(arrays, data, recv, *m, args),
        Step::Index(_) => match (recv, args) {
            (Value::Array(a), [Value::Int(i)]) => {
                match usize::try_from(*i).ok().and_then(|i| arrays.get(*a).get(i)) {
                    Some(v) => Ok(*v),
                    None => hand_over("数组下标越界或为负"),
                }
            }
            _ => hand_over("下标不在子集内"),
        },
    }
}

fn method<'a>(
    arrays: &Arrays<'a>,
    data: &'a FirmData,
    recv: &Value<'a>,
    m: Method,
    args: &[Value<'a>],
) -> Res<Value<'a>> {
    Ok(match (m, recv, args) {
        (Method::StartsWith, Value::Str(s), [Value::Str(p)]) => Value::Bool(s.starts_with(*p)),
        (Method::Within, Value::Date(d), [Value::Date(a), Value::Date(b)]) => {
            Value::Bool(a <= d && d <= b)
        }
        (Method::IsEmpty, Value::Array(a), []) => Value::Bool(arrays.get(*a).is_empty()),
        (Method::Annual, Value::Firm, [Value::Int(y)]) => {
            Value::Year(*y, data.profile.annual_of(*y))
        }
        (m, r, _) => return hand_over(format!("{}.{m:?}(…) 不在子集内", r.type_name())),
    })
}

/// A property read, by the receiver's type: the getters of `view.rs` and of dates.
fn get<'a>(
    fx: &mut Effects<'a>,
    arrays: &mut Arrays<'a>,
    data: &'a FirmData,
    recv: &Value<'a>,
    p: Prop,
) -> Res<Value<'a>> {
    use Prop as P;
    let p_ = &data.profile;
    Ok(match (recv, p) {
        (
            Value::Firm,
            P::Uscc
            | P::Status
            | P::RegionCode
            | P::IndustryCode
            | P::AboveScaleSince
            | P::TaxCreditGrade,
        ) => Value::Str(firm_text(fx, data, p)?),
        (Value::Firm, P::SeriousDishonesty | P::AbnormalOperation) => firm_flag(fx, data, p)?,
        (Value::Firm, P::EstablishedOn) => day(fx, p_.established_on.map(Day), "成立日期"),
        // The firm's own lists, whole (as rhai's getters): the budget bounds what a rule builds.
        (Value::Firm, P::Certifications) => {
            arrays.add(data.cert_list.iter().map(Value::Cert).collect(), usize::MAX)?
        }
        (Value::Firm, P::Hires) => {
            arrays.add(data.hire_list.iter().map(Value::Hire).collect(), usize::MAX)?
        }
        (Value::Year(y, _), P::Year) => Value::Int(*y),
        (Value::Year(y, rec), P::Revenue) => yearly(
            fx,
            *y,
            rec.and_then(|a| a.revenue),
            "营业收入",
            Decimal::ZERO,
            Value::Dec,
        ),
        (Value::Year(y, rec), P::TotalAssets) => yearly(
            fx,
            *y,
            rec.and_then(|a| a.total_assets),
            "资产总额",
            Decimal::ZERO,
            Value::Dec,
        ),
        (Value::Year(y, rec), P::RdExpense) => yearly(
            fx,
            *y,
            rec.and_then(|a| a.rd_expense),
            "研发费用",
            Decimal::ZERO,
            Value::Dec,
        ),
        (Value::Year(y, rec), P::UnemploymentPremiumPaid) => yearly(
            fx,
            *y,
            rec.and_then(|a| a.unemployment_premium_paid),
            "失业保险缴费",
            Decimal::ZERO,
            Value::Dec,
        ),
        (Value::Year(y, rec), P::EmployeesAvg) => yearly(
            fx,
            *y,
            rec.and_then(|a| a.employees_avg),
            "参保职工人数",
            0,
            Value::Int,
        ),
        (Value::Year(y, rec), P::Layoffs) => yearly(
            fx,
            *y,
            rec.and_then(|a| a.layoffs),
            "裁员人数",
            0,
            Value::Int,
        ),
        (Value::Year(y, rec), P::UiPaidMonths) => yearly(
            fx,
            *y,
            rec.and_then(|a| a.ui_paid_months),
            "失业保险缴费月数",
            0,
            Value::Int,
        ),
        (Value::Cert(c), P::Kind) => Value::Str(c.kind.as_str()),
        (Value::Cert(c), P::Level) => Value::Str(text(fx, c.level.as_deref(), "认定级别")),
        (Value::Cert(c), P::RecognizedOn) => Value::Date(c.recognized_on.0),
        (Value::Cert(c), P::ExpiresOn) => day(fx, c.expires_on, "证书有效期"),
        (Value::Cert(c), P::HasExpiry) => Value::Bool(c.expires_on.is_some()),
        (Value::Cert(c), P::FirstTime) => match c.first_time {
            Some(b) => Value::Bool(b),
            None => {
                fx.missing(|| "缺少认定类型".into());
                Value::Bool(false)
            }
        },
        (Value::Hire(h), P::Person) => Value::Str(h.person.as_str()),
        (Value::Hire(h), P::Category) => Value::Str(h.category.as_str()),
        (Value::Hire(h), P::AgeAtHire) => int(fx, h.age_at_hire, "入职年龄"),
        (Value::Hire(h), P::HiredOn) => Value::Date(h.hired_on.0),
        (Value::Hire(h), P::ContractSigned) => flag(fx, h.contract_signed, "劳动合同"),
        (Value::Hire(h), P::InsuredMonths) => int(fx, h.insured_months, "参保月数"),
        (Value::Date(d), P::Year) => Value::Int(i64::from(chrono::Datelike::year(d))),
        (Value::Date(d), P::Month) => Value::Int(i64::from(chrono::Datelike::month(d))),
        (Value::Date(d), P::Day) => Value::Int(i64::from(chrono::Datelike::day(d))),
        (r, p) => return hand_over(format!("{}.{p:?} 不在子集内", r.type_name())),
    })
}

//! The compiled path: rules written in the restricted subset of rhai that the sample rules use
//! are parsed by our own parser and run as a typed tree, with rhai's exact results.
//!
//! - [`compile`] turns a rule and its parameters on one date into a [`Program`], or says why the
//!   rule is outside the subset (it then always runs on rhai, the reference);
//! - [`run`] evaluates a program for one firm. Whatever it does not model exactly — a run-time
//!   error (a type mismatch, a division by zero…), an exhausted operation budget, an operator on
//!   types outside the subset — hands the evaluation over to rhai, which gives the decision
//!   (an evaluation has no side effects, so running it again on rhai is always safe).

mod effects;
mod eval;
mod fused;
mod ir;
mod lexer;
mod parser;
mod value;

use chrono::NaiveDate;

pub(crate) use effects::Effects;

use super::decision::Explain;
use super::engine::Limits;
use super::view::FirmView;

/// Why a rule is not compiled (it runs on rhai).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotInSubset(pub String);

impl NotInSubset {
    pub(crate) fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }
}

/// Why one evaluation was handed over to rhai.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOver(pub String);

impl HandOver {
    pub(crate) fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }
}

/// Why an evaluation stopped before the end of the rule.
#[derive(Debug)]
pub(crate) enum Halt {
    /// A firm-level condition failed on the decision path: the outcome is decided.
    Decided,
    /// The wall-clock deadline passed.
    Deadline,
    HandOver(HandOver),
}

impl From<HandOver> for Halt {
    fn from(h: HandOver) -> Self {
        Self::HandOver(h)
    }
}

/// A rule compiled against its parameters on one date.
#[derive(Debug)]
pub struct Program {
    stmts: Vec<ir::Stmt>,
    slots: usize,
}

/// The most variables a compiled rule may declare (each `let`, each loop variable); their values
/// live on the stack of [`run`].
const MAX_SLOTS: usize = 32;

/// Parses `source` (already accepted by rhai) with `params` folded in.
pub(crate) fn compile(source: &str, params: &rhai::Map) -> Result<Program, NotInSubset> {
    let toks = lexer::tokens(source)?;
    let (stmts, slots) = parser::Parser::new(&toks, params).program()?;
    if slots > MAX_SLOTS {
        return Err(NotInSubset::new(format!(
            "变量过多 ({slots} 个, 编译路径最多 {MAX_SLOTS} 个)"
        )));
    }
    Ok(Program { stmts, slots })
}

/// How a compiled evaluation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    Finished,
    /// The decision path's early stop.
    Stopped,
    /// The deadline passed (an error, as on rhai).
    Late,
}

/// How many conditions (`require`, `grant`, `grant_item`) one evaluation reaches in `explain`
/// mode; `None` when handed over. For the benchmark.
pub(crate) fn conditions(
    program: &Program,
    firm: &FirmView,
    as_of: NaiveDate,
    explain: Explain,
    limits: &Limits,
) -> Option<u32> {
    let (ended, reached) = evaluate(program, firm, as_of, limits, &mut effects(explain));
    ended.ok().map(|_| reached)
}

/// Evaluates `program` for `firm` into `fx` (reasons captured, not formatted): how it ended, or
/// the reason to hand the evaluation over to rhai.
pub(crate) fn run<'a>(
    program: &'a Program,
    firm: &'a FirmView,
    as_of: NaiveDate,
    limits: &'a Limits,
    fx: &mut Effects<'a>,
) -> Result<Ended, HandOver> {
    evaluate(program, firm, as_of, limits, fx).0
}

/// [`run`], with the number of conditions reached.
#[inline]
fn evaluate<'a>(
    program: &'a Program,
    firm: &'a FirmView,
    as_of: NaiveDate,
    limits: &'a Limits,
    fx: &mut Effects<'a>,
) -> (Result<Ended, HandOver>, u32) {
    // Only as many slots as the rule declares are set up (most rules need a handful).
    match program.slots {
        0..=8 => evaluate_in::<8>(program, firm, as_of, limits, fx),
        9..=16 => evaluate_in::<16>(program, firm, as_of, limits, fx),
        _ => evaluate_in::<MAX_SLOTS>(program, firm, as_of, limits, fx),
    }
}

/// [`evaluate`] with the variables in an array of `N` slots on this frame.
#[inline]
fn evaluate_in<'a, const N: usize>(
    program: &'a Program,
    firm: &'a FirmView,
    as_of: NaiveDate,
    limits: &'a Limits,
    fx: &mut Effects<'a>,
) -> (Result<Ended, HandOver>, u32) {
    let mut slots = [value::Value::Unit; N];
    let values = slots.get_mut(..program.slots).unwrap_or_default();
    let mut e = eval::Eval::new(fx, firm, as_of, values, limits);
    let ended = match e.run(&program.stmts) {
        Ok(()) => Ok(Ended::Finished),
        Err(Halt::Decided) => Ok(Ended::Stopped),
        Err(Halt::Deadline) => Ok(Ended::Late),
        Err(Halt::HandOver(h)) => Err(h),
    };
    (ended, e.conditions)
}

/// The effects an evaluation in `explain` mode starts with.
pub(crate) fn effects<'a>(explain: Explain) -> Effects<'a> {
    Effects::new(explain == Explain::Full, explain == Explain::DecisionOnly)
}

//! The one sandboxed rhai engine: decimal only, strict variables, deterministic limits.
//!
//! A rule's outcome never depends on the machine's speed: it is bounded by rhai's operation
//! count (the same on every run). The wall-clock deadline is only a far-off safety net: when it
//! trips, the evaluation is [`Interrupted`] (an infrastructure error to retry), never a decision.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rhai::{Dynamic, Engine, EvalAltResult, OptimizationLevel, Scope};
use rust_decimal::Decimal;

use super::api::{self, Day, STATE, State};
use super::decision::{Decision, Explain, Item, Reasons};
use super::policy::{Params, Policy};
use super::state::DECIDED;
use super::view::{self, FirmView};

/// The sandbox's budgets for one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// The safety net: an evaluation still running after this is [`Interrupted`], not decided.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 2_000_000,
            max_call_levels: 16,
            max_expr_depth: 64,
            // rhai counts every string of an array or map together against this limit: room
            // for 10,000 person hashes (64 bytes each) collected into one array.
            max_string_size: 1024 * 1024,
            max_array_size: 10_000,
            max_map_size: 1_000,
            deadline: Duration::from_secs(10),
        }
    }
}

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static SCOPE: RefCell<Scope<'static>> = RefCell::new(Scope::new());
}

/// The rules engine, built once and shared (`RuleEngine::shared()`); evaluations run on any thread.
pub struct RuleEngine {
    engine: Engine,
    limits: Limits,
    /// Names of every function and method the engine provides, for `rules check`.
    functions: std::collections::HashSet<String>,
}

impl std::fmt::Debug for RuleEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEngine")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The variables every rule sees: `profile`, `params`, `as_of`.
pub(crate) fn rule_scope(
    params: rhai::Map,
    as_of: NaiveDate,
    firm: Option<FirmView>,
) -> Scope<'static> {
    let mut scope = Scope::new();
    // Variables, never constants: constants would be folded into the AST at compile time.
    match firm {
        Some(f) => scope.push("profile", f),
        None => scope.push("profile", ()),
    };
    scope.push("params", params).push("as_of", Day(as_of));
    scope
}

impl RuleEngine {
    /// The engine with default limits, built on first use.
    pub fn shared() -> &'static Self {
        static ENGINE: OnceLock<RuleEngine> = OnceLock::new();
        ENGINE.get_or_init(|| Self::new(Limits::default()))
    }

    pub fn new(limits: Limits) -> Self {
        let mut engine = Engine::new_raw();
        engine.register_global_module(rhai::packages::Package::as_shared_module(
            &rhai::packages::StandardPackage::new(),
        ));
        engine
            .set_strict_variables(true)
            .set_fail_on_invalid_map_property(true)
            .set_fast_operators(false)
            .set_optimization_level(OptimizationLevel::Simple)
            .set_max_operations(limits.max_operations)
            .set_max_call_levels(limits.max_call_levels)
            .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
            .set_max_string_size(limits.max_string_size)
            .set_max_array_size(limits.max_array_size)
            .set_max_map_size(limits.max_map_size)
            .set_max_modules(0)
            .set_max_variables(256)
            .set_max_functions(64)
            .on_print(|_| {})
            .on_debug(|_, _, _| {});
        for symbol in ["eval", "import", "export", "print", "debug"] {
            engine.disable_symbol(symbol);
        }
        engine.on_progress(|ops| {
            // Reading the clock every 256 operations keeps the deadline cheap.
            if ops & 0xff != 0 {
                return None;
            }
            let late = DEADLINE.get().is_some_and(|d| Instant::now() > d);
            late.then(|| Dynamic::from(LATE))
        });
        view::register(&mut engine);
        api::register(&mut engine);
        let functions = engine
            .gen_fn_signatures(true)
            .iter()
            .filter_map(|sig| sig.split('(').next())
            .map(|name| name.trim_start_matches("get$").to_owned())
            .collect();
        Self {
            engine,
            limits,
            functions,
        }
    }

    /// True when the engine provides a function or method of this name.
    pub fn has_function(&self, name: &str) -> bool {
        self.functions.contains(name)
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Compiles a rule against the variables rules see (strict variables need them declared).
    pub fn compile(&self, source: &str) -> Result<rhai::AST, rhai::ParseError> {
        let scope = rule_scope(rhai::Map::new(), NaiveDate::MIN, None);
        self.engine.compile_with_scope(&scope, source)
    }

    /// Compiles a rule with its parameters as the constant `params`: every `params.name` is
    /// folded to its value (rhai's constant propagation, `OptimizationLevel::Simple`). `profile`
    /// and `as_of` stay variables. Only for rules that `check::params_read_only` accepts: rhai
    /// 1.27 accepts `params.x = 1` against a constant here and then panics at run time on the
    /// folded assignment. `None` when compilation fails: the caller runs the generic AST.
    pub(crate) fn compile_with_params(&self, source: &str, params: &Dynamic) -> Option<rhai::AST> {
        let mut scope = Scope::new();
        scope
            .push("profile", ())
            .push_constant_dynamic("params", params.clone())
            .push("as_of", Day(NaiveDate::MIN));
        self.engine.compile_with_scope(&scope, source).ok()
    }

    /// Convenience for one-off calls: builds the firm's view and the policy's parameters first.
    /// Batches should build each [`FirmView`] once and each policy's [`Params`] once instead.
    pub fn evaluate_profile(
        &self,
        policy: &Policy,
        profile: &crate::profiles::Profile,
        as_of: NaiveDate,
        explain: Explain,
    ) -> Result<Decision, Interrupted> {
        self.evaluate(
            policy,
            &policy.params_at(as_of),
            &FirmView::new(profile),
            as_of,
            explain,
        )
    }

    /// Evaluates one policy for one firm. Never panics: a rule that errs or runs out of its
    /// operation budget yields a decision with `error` set. `Err` only when the wall-clock
    /// safety net tripped (a machine far too slow or stalled): retry, never store.
    pub fn evaluate(
        &self,
        policy: &Policy,
        params: &Params,
        firm: &FirmView,
        as_of: NaiveDate,
        explain: Explain,
    ) -> Result<Decision, Interrupted> {
        STATE.with_borrow_mut(|s| {
            *s = State {
                explain: explain == Explain::Full,
                stop_when_decided: explain == Explain::DecisionOnly,
                firm: Some(firm.clone()),
                ..State::default()
            };
        });
        DEADLINE.set(Some(Instant::now() + self.limits.deadline));
        let result = SCOPE.with_borrow_mut(|scope| {
            scope.clear();
            // `params` is a run-time constant: a rule cannot modify it ("Cannot modify
            // constant"). The folded AST (see `Policy::params_at`) has its reads as literals.
            scope
                .push("profile", firm.clone())
                .push_constant_dynamic("params", params.value.clone())
                .push_constant("as_of", Day(as_of));
            let ast = params.folded.as_deref().unwrap_or(&policy.ast);
            self.engine.run_ast_with_scope(scope, ast)
        });
        DEADLINE.set(None);
        let state = STATE.with_borrow_mut(std::mem::take);
        let end = match result {
            Ok(_) => RunEnd::Finished,
            Err(e)
                if matches!(&*e, EvalAltResult::ErrorTerminated(t, _)
                if t.clone().into_immutable_string().is_ok_and(|t| t == LATE)) =>
            {
                return Err(Interrupted {
                    after: self.limits.deadline,
                });
            }
            Err(e) => {
                let early_stop = matches!(&*e, EvalAltResult::ErrorTerminated(t, _)
                    if t.clone().into_immutable_string().is_ok_and(|t| t == DECIDED));
                // The early stop is only ever raised once a condition has failed.
                if early_stop && state.failed {
                    RunEnd::Stopped
                } else {
                    RunEnd::Failed(describe(&e, &self.limits))
                }
            }
        };
        Ok(settle(policy, firm, state.into(), end, explain))
    }
}

/// The token of the wall-clock safety net (see [`Interrupted`]).
const LATE: &str = "deadline";

/// An evaluation stopped by the wall-clock safety net: an infrastructure error (the machine was
/// far too slow or stalled), never the firm's outcome. Retry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("规则评估超过 {} 秒仍未结束 (基础设施错误, 请重试)", after.as_secs())]
pub struct Interrupted {
    pub after: Duration,
}

/// How a rule's run ended.
enum RunEnd {
    Finished,
    /// The decision path's early stop, after a failed firm-level condition.
    Stopped,
    /// An error or an exhausted budget, described.
    Failed(String),
}

/// What one run recorded, as [`settle`] needs it.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// A firm-level condition failed: the outcome is "not eligible".
    pub(crate) failed: bool,
    /// A `scope` condition failed.
    pub(crate) out_of_scope: bool,
    pub(crate) failures: u32,
    /// Missing data read after the last condition.
    pub(crate) missing: Option<String>,
    pub(crate) amount: Option<Decimal>,
    /// An `item` was begun and not ended with `grant_item`.
    pub(crate) unfinished_item: bool,
    pub(crate) reasons: Reasons,
    pub(crate) items: Vec<Item>,
}

impl From<State> for Recorded {
    fn from(s: State) -> Self {
        Self {
            failed: s.failed,
            out_of_scope: s.out_of_scope,
            failures: s.failures,
            missing: s.missing,
            amount: s.amount,
            unfinished_item: s.open.is_some(),
            reasons: s.reasons,
            items: s.items,
        }
    }
}

/// The decision from what a run recorded and how it ended.
fn settle(
    policy: &Policy,
    firm: &FirmView,
    rec: Recorded,
    end: RunEnd,
    explain: Explain,
) -> Decision {
    let full = explain == Explain::Full;
    let mut d = Decision {
        uscc: firm.uscc_shared(),
        policy: Arc::clone(&policy.key),
        eligible: false,
        amount: Decimal::ZERO,
        reasons: rec.reasons,
        items: rec.items,
        error: None,
        in_scope: !rec.out_of_scope,
        failures: rec.failures,
    };
    // Once a firm-level condition has failed the outcome is decided ("not eligible"): what
    // happens after it (the decision path's early stop, an error, an unfinished item) is
    // recorded on the full path but does not change the result.
    let decided = rec.failed;
    let late = |d: &mut Decision, what: String| {
        if full {
            d.reasons.push_with(false, |out| {
                out.push_str("已不符合条件后规则出错 (不影响结果): ");
                out.push_str(&what);
            });
        }
    };
    match end {
        RunEnd::Finished => {}
        RunEnd::Stopped => return d,
        RunEnd::Failed(what) if !decided => {
            d.error = Some(what);
            d.items.clear();
            return d;
        }
        RunEnd::Failed(what) => {
            late(&mut d, what);
            return d;
        }
    }
    if rec.unfinished_item {
        let what = "规则结束时 item 未以 grant_item 结束".to_owned();
        if decided {
            late(&mut d, what);
        } else {
            d.error = Some(what);
        }
        return d;
    }
    if let Some(m) = &rec.missing
        && full
    {
        d.reasons.push_with(false, |out| {
            out.push_str("规则读取了缺失的数据: ");
            out.push_str(m);
        });
    }
    if decided {
        if rec.amount.is_some() && !d.items.is_empty() {
            late(&mut d, "规则同时使用了 grant 与 grant_item".into());
        }
        return d;
    }
    d.eligible = rec.missing.is_none();
    match rec.amount {
        Some(a) if d.items.is_empty() => {
            d.amount = a;
            if a <= Decimal::ZERO && d.eligible {
                d.eligible = false;
                if full {
                    d.reasons.push("金额为0, 不予享受", false);
                }
            }
        }
        None if !d.items.is_empty() => d.settle_items(explain),
        None if d.eligible => {
            d.eligible = false;
            d.error = Some("规则未给出金额 (grant 或 grant_item)".into());
        }
        _ if !d.items.is_empty() => d.error = Some("规则同时使用了 grant 与 grant_item".into()),
        _ => {}
    }
    if !d.eligible {
        d.amount = Decimal::ZERO;
    }
    d
}

/// A rule error in words an operator can act on.
fn describe(e: &EvalAltResult, limits: &Limits) -> String {
    let pos = e.position();
    let at = match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!(" (rule.rhai:{l}:{c})"),
        _ => String::new(),
    };
    let what = match e {
        EvalAltResult::ErrorTooManyOperations(..) => {
            format!("规则超出运算步数上限 {}", limits.max_operations)
        }
        EvalAltResult::ErrorStackOverflow(..) => {
            format!("规则调用层数超过上限 {}", limits.max_call_levels)
        }
        EvalAltResult::ErrorDataTooLarge(what, ..) => format!("规则数据超出上限: {what}"),
        other => {
            let full = other.to_string();
            let bare = full
                .rsplit_once(" (line ")
                .map_or(full.as_str(), |(msg, _)| msg);
            format!("规则运行错误: {bare}")
        }
    };
    format!("{what}{at}")
}

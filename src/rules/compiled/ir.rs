//! The compiled form of a rule: a typed tree with variables resolved to slots, parameters folded
//! to constants and every property, method and function resolved to an enum at compile time.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::fused::Test;

/// A value known when the rule is compiled: a literal or a folded parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    Unit,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Str(Box<str>),
    Date(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

/// A property read (`x.name`): which getter, chosen at run time by the receiver's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prop {
    // The firm.
    Uscc,
    Status,
    RegionCode,
    IndustryCode,
    AboveScaleSince,
    TaxCreditGrade,
    SeriousDishonesty,
    AbnormalOperation,
    EstablishedOn,
    Certifications,
    Hires,
    // A year's record (and `year`, `month`, `day` of a date).
    Year,
    Revenue,
    TotalAssets,
    RdExpense,
    UnemploymentPremiumPaid,
    EmployeesAvg,
    Layoffs,
    UiPaidMonths,
    // A certificate.
    Kind,
    Level,
    RecognizedOn,
    ExpiresOn,
    HasExpiry,
    FirstTime,
    // A hire.
    Person,
    Category,
    AgeAtHire,
    HiredOn,
    ContractSigned,
    InsuredMonths,
    // A date.
    Month,
    Day,
}

impl Prop {
    pub(crate) fn of(name: &str) -> Option<Self> {
        use Prop::*;
        Some(match name {
            "uscc" => Uscc,
            "status" => Status,
            "region_code" => RegionCode,
            "industry_code" => IndustryCode,
            "above_scale_since" => AboveScaleSince,
            "tax_credit_grade" => TaxCreditGrade,
            "serious_dishonesty" => SeriousDishonesty,
            "abnormal_operation" => AbnormalOperation,
            "established_on" => EstablishedOn,
            "certifications" => Certifications,
            "hires" => Hires,
            "year" => Year,
            "revenue" => Revenue,
            "total_assets" => TotalAssets,
            "rd_expense" => RdExpense,
            "unemployment_premium_paid" => UnemploymentPremiumPaid,
            "employees_avg" => EmployeesAvg,
            "layoffs" => Layoffs,
            "ui_paid_months" => UiPaidMonths,
            "kind" => Kind,
            "level" => Level,
            "recognized_on" => RecognizedOn,
            "expires_on" => ExpiresOn,
            "has_expiry" => HasExpiry,
            "first_time" => FirstTime,
            "person" => Person,
            "category" => Category,
            "age_at_hire" => AgeAtHire,
            "hired_on" => HiredOn,
            "contract_signed" => ContractSigned,
            "insured_months" => InsuredMonths,
            "month" => Month,
            "day" => Day,
            _ => return None,
        })
    }
}

/// A method (`x.name(args)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    StartsWith,
    Within,
    IsEmpty,
    Annual,
}

impl Method {
    pub(crate) fn of(name: &str) -> Option<Self> {
        Some(match name {
            "starts_with" => Self::StartsWith,
            "within" => Self::Within,
            "is_empty" => Self::IsEmpty,
            "annual" => Self::Annual,
            _ => return None,
        })
    }
}

/// A function of the rule API (`name(args)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Require,
    Grant,
    GrantItem,
    Item,
    CountedItems,
    Date,
    RoundHalfUp,
    RoundDown,
    Ratio,
    Min,
    Max,
    Annual,
    SmeSize,
    Sector,
    IndustrySection,
    InRegion,
    Certs,
}

impl Func {
    pub(crate) fn of(name: &str) -> Option<Self> {
        use Func::*;
        Some(match name {
            "require" => Require,
            "grant" => Grant,
            "grant_item" => GrantItem,
            "item" => Item,
            "counted_items" => CountedItems,
            "date" => Date,
            "round_half_up" => RoundHalfUp,
            "round_down" => RoundDown,
            "ratio" => Ratio,
            "min" => Min,
            "max" => Max,
            "annual" => Annual,
            "sme_size" => SmeSize,
            "sector" => Sector,
            "industry_section" => IndustrySection,
            "in_region" => InRegion,
            "certs" => Certs,
            _ => return None,
        })
    }
}

/// One step of a property / method / index chain.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Get(Prop),
    Call(Method, Vec<Expr>),
    Index(Expr),
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Const(Const),
    Local(usize),
    Profile,
    AsOf,
    Array(Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Cmp, Box<Expr>, Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    /// `x.name` on a variable or `profile`: the common case of a chain, without its machinery.
    Get(Box<Expr>, Prop),
    /// A root and its steps. As in rhai, every method argument and index of the chain is
    /// evaluated (left to right) before the root.
    Chain(Box<Expr>, Vec<Step>),
    /// `if c { a } else { b }` as a value.
    If(Box<Expr>, Box<Block>, Box<Block>),
    /// A firm field tested against a constant, in one node (see `fused.rs`).
    Test(Box<Test>),
    /// A read rhai would refuse at run time (e.g. a parameter not in effect on this date): the
    /// evaluation is handed to rhai, which gives the exact error.
    HandOver(&'static str),
}

/// Statements and, in value position, the final expression (no `;`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Block {
    pub(crate) stmts: Vec<Stmt>,
    pub(crate) value: Option<Expr>,
}

/// What a `for` loop iterates over.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// `certs(kind)`: the firm's certificates of that kind, without building an array.
    Certs(Expr),
    /// `profile.hires`: the firm's hires, without copying them.
    Hires,
    /// Any other array value.
    Array(Expr),
}

#[derive(Debug, Clone)]
pub(crate) enum Stmt {
    /// `let x = e;` and `x = e;` (both store into the slot).
    Set(usize, Expr),
    Expr(Expr),
    If(Expr, Block, Option<Block>),
    For(usize, Source, Block),
    Block(Block),
    /// `x.push(e);` on a local array.
    Push(usize, Expr),
}

//! Fused tests: the commonest conditions of a rule — a firm field against a constant, such as
//! `profile.region_code.starts_with("3701")`, `profile.status == "active"` or
//! `!profile.serious_dishonesty` — built by the parser as one node instead of a chain or a
//! comparison of several. A fused test reads the field through the same getter (so missing
//! data is noted alike), gives the same value and counts the same operations as the nodes it
//! replaces; only the walk between them is gone.

use super::ir::{Cmp, Const, Expr, Method, Prop, Step};

/// One fused test of the firm's field `prop`.
#[derive(Debug, Clone)]
pub(crate) struct Test {
    pub(crate) prop: Prop,
    pub(crate) kind: TestKind,
    /// The operations the unfused nodes count (see `eval::Eval::tick`).
    pub(crate) ops: u64,
}

#[derive(Debug, Clone)]
pub(crate) enum TestKind {
    /// `profile.<text>.starts_with("…")`
    StartsWith(Box<str>),
    /// `profile.<text> == "…"`
    Eq(Box<str>),
    /// `profile.<text> != "…"`
    Ne(Box<str>),
    /// `!profile.<flag>`
    Not,
}

/// The firm's text fields (their getter always gives a string, `""` when missing).
fn text_field(p: Prop) -> bool {
    matches!(
        p,
        Prop::Uscc
            | Prop::Status
            | Prop::RegionCode
            | Prop::IndustryCode
            | Prop::AboveScaleSince
            | Prop::TaxCreditGrade
    )
}

/// The firm's yes/no fields (their getter always gives a bool, `false` when missing).
fn flag_field(p: Prop) -> bool {
    matches!(p, Prop::SeriousDishonesty | Prop::AbnormalOperation)
}

/// `root.steps…`: a fused test when it is `profile.<text>.starts_with("…")`.
pub(crate) fn chain(root: Expr, steps: Vec<Step>) -> Expr {
    if let (Expr::Profile, [Step::Get(p), Step::Call(Method::StartsWith, args)]) =
        (&root, steps.as_slice())
        && let [Expr::Const(Const::Str(prefix))] = args.as_slice()
        && text_field(*p)
    {
        // The chain, its argument, its root and its second step.
        return test(*p, TestKind::StartsWith(prefix.clone()), 4);
    }
    Expr::Chain(Box::new(root), steps)
}

/// `a <op> b`: a fused test when it is `profile.<text> ==/!= "…"`.
pub(crate) fn compare(op: Cmp, a: Expr, b: Expr) -> Expr {
    if let (Expr::Get(root, p), Expr::Const(Const::Str(s))) = (&a, &b)
        && matches!(**root, Expr::Profile)
        && text_field(*p)
    {
        let kind = match op {
            Cmp::Eq => Some(TestKind::Eq(s.clone())),
            Cmp::Ne => Some(TestKind::Ne(s.clone())),
            _ => None,
        };
        if let Some(kind) = kind {
            // The comparison, the read (two: the expression and its property) and the constant.
            return test(*p, kind, 4);
        }
    }
    Expr::Compare(op, Box::new(a), Box::new(b))
}

/// `!x`: a fused test when it is `!profile.<flag>`.
pub(crate) fn not(x: Expr) -> Expr {
    if let Expr::Get(root, p) = &x
        && matches!(**root, Expr::Profile)
        && flag_field(*p)
    {
        // The negation and the read (two).
        return test(*p, TestKind::Not, 3);
    }
    Expr::Not(Box::new(x))
}

fn test(prop: Prop, kind: TestKind, ops: u64) -> Expr {
    Expr::Test(Box::new(Test { prop, kind, ops }))
}

#[cfg(test)]
mod tests {
    use super::super::ir::Stmt;
    use super::super::{lexer, parser};
    use super::*;

    #[test]
    fn the_commonest_conditions_are_fused_and_nothing_else_is() {
        let table = [
            ("profile.region_code.starts_with(\"3701\")", true),
            ("profile.status == \"active\"", true),
            ("profile.tax_credit_grade != \"D\"", true),
            ("!profile.serious_dishonesty", true),
            ("!profile.abnormal_operation", true),
            // A comparison that is not (in)equality, a non-constant argument, a flag compared
            // as text, a text negated, a field of something other than the firm.
            ("profile.status < \"b\"", false),
            ("profile.region_code.starts_with(profile.status)", false),
            ("profile.serious_dishonesty == \"x\"", false),
            ("!profile.status", false),
            ("annual(2025).year == 2025", false),
        ];
        for (source, fused) in table {
            let toks = lexer::tokens(&format!("let x = {source};")).expect("lexes");
            let (stmts, _) = parser::Parser::new(&toks, &rhai::Map::new())
                .program()
                .expect("parses");
            let is_test = matches!(stmts.as_slice(), [Stmt::Set(_, Expr::Test(_))]);
            assert_eq!(is_test, fused, "{source}");
        }
    }
}

//! Recursive descent over the rule subset's tokens into the typed tree of [`super::ir`]:
//! variables resolved to slots (block scoped, shadowing as in rhai), `params.name` folded to the
//! parameter's value, every property, method and function name resolved to its enum.

use rhai::{Dynamic, INT, ImmutableString};
use rust_decimal::Decimal;

use super::NotInSubset;
use super::effects;
use super::fused;
use super::ir::{Arith, Block, Cmp, Const, Expr, Func, Method, Prop, Source, Step, Stmt};
use super::lexer::Tok;
use crate::rules::api::Day;
use crate::rules::template;

/// The most variables a compiled rule may declare (rhai's own limit is 256 live variables).
const MAX_SLOTS: usize = 256;

#[derive(Debug, Clone, Copy)]
enum Binding {
    Slot(usize),
    Profile,
    AsOf,
    Params,
}

pub(crate) struct Parser<'t> {
    toks: &'t [Tok],
    pos: usize,
    names: Vec<(String, Binding)>,
    slots: usize,
    params: &'t rhai::Map,
}

type Res<T> = Result<T, NotInSubset>;

impl<'t> Parser<'t> {
    pub(crate) fn new(toks: &'t [Tok], params: &'t rhai::Map) -> Self {
        let names = vec![
            ("profile".to_owned(), Binding::Profile),
            ("params".to_owned(), Binding::Params),
            ("as_of".to_owned(), Binding::AsOf),
        ];
        Self {
            toks,
            pos: 0,
            names,
            slots: 0,
            params,
        }
    }

    /// The whole rule: its statements and the number of variable slots it needs.
    pub(crate) fn program(mut self) -> Res<(Vec<Stmt>, usize)> {
        let mut stmts = Vec::new();
        while self.pos < self.toks.len() {
            if let Some(s) = self.statement()? {
                stmts.push(s);
            }
        }
        Ok((stmts, self.slots))
    }

    fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, k: usize) -> Option<&'t Tok> {
        self.toks.get(self.pos + k)
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == w)
    }

    fn eat(&mut self, p: &str) -> bool {
        let yes = self.is(p);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn expect(&mut self, p: &str) -> Res<()> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(NotInSubset::new(format!("此处应为 '{p}'")))
        }
    }

    fn ident(&mut self) -> Res<&'t str> {
        match self.peek() {
            Some(Tok::Ident(name)) if !is_keyword(name) => {
                self.pos += 1;
                Ok(name)
            }
            _ => Err(NotInSubset::new("此处应为名称")),
        }
    }

    fn declare(&mut self, name: &str) -> Res<usize> {
        let slot = self.slots;
        self.slots += 1;
        if self.slots > MAX_SLOTS {
            return Err(NotInSubset::new("变量过多"));
        }
        self.names.push((name.to_owned(), Binding::Slot(slot)));
        Ok(slot)
    }

    fn lookup(&self, name: &str) -> Option<Binding> {
        self.names
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| *b)
    }

    /// The end of a simple statement: `;`, or nothing before `}` or the end of the rule.
    /// Returns true when there was a `;`.
    fn end_of_statement(&mut self) -> Res<bool> {
        if self.eat(";") {
            Ok(true)
        } else if self.is("}") || self.peek().is_none() {
            Ok(false)
        } else {
            Err(NotInSubset::new("语句之间应有 ';'"))
        }
    }

    fn statement(&mut self) -> Res<Option<Stmt>> {
        Ok(self.statement_or_value()?.map(|(s, _)| s))
    }

    /// A statement, and whether it is an expression not followed by `;` (a block's value).
    fn statement_or_value(&mut self) -> Res<Option<(Stmt, bool)>> {
        if self.eat(";") {
            return Ok(None);
        }
        if self.is_word("let") {
            self.pos += 1;
            let name = self.ident()?;
            self.expect("=")?;
            let value = self.expr()?;
            let slot = self.declare(name)?;
            self.end_of_statement()?;
            return Ok(Some((Stmt::Set(slot, value), false)));
        }
        if self.is_word("if") {
            self.pos += 1;
            return Ok(Some((self.if_statement()?, false)));
        }
        if self.is_word("for") {
            self.pos += 1;
            return Ok(Some((self.for_statement()?, false)));
        }
        if self.is("{") {
            return Ok(Some((Stmt::Block(self.block()?), false)));
        }
        if let Some(Tok::Ident(name)) = self.peek()
            && let Some(Binding::Slot(slot)) = self.lookup(name)
        {
            if matches!(self.peek_at(1), Some(Tok::Punct("="))) {
                self.pos += 2;
                let value = self.expr()?;
                self.end_of_statement()?;
                return Ok(Some((Stmt::Set(slot, value), false)));
            }
            let push = matches!(self.peek_at(1), Some(Tok::Punct(".")))
                && matches!(self.peek_at(2), Some(Tok::Ident(m)) if m == "push")
                && matches!(self.peek_at(3), Some(Tok::Punct("(")));
            if push {
                self.pos += 4;
                let mut args = self.args(")")?;
                let (Some(arg), true) = (args.pop(), args.is_empty()) else {
                    return Err(NotInSubset::new("push 需要一个参数"));
                };
                if !self.end_of_statement()? && self.peek().is_some() && !self.is("}") {
                    return Err(NotInSubset::new("push 之后应为 ';'"));
                }
                return Ok(Some((Stmt::Push(slot, arg), false)));
            }
        }
        let e = self.expr()?;
        let semicolon = self.end_of_statement()?;
        Ok(Some((Stmt::Expr(e), !semicolon)))
    }

    /// `{ statements [value] }` in its own scope.
    fn block(&mut self) -> Res<Block> {
        self.expect("{")?;
        let mark = self.names.len();
        let mut block = Block::default();
        while !self.is("}") {
            if self.peek().is_none() {
                return Err(NotInSubset::new("代码块未结束"));
            }
            if let Some(v) = block.value.take() {
                block.stmts.push(Stmt::Expr(v));
            }
            match self.statement_or_value()? {
                Some((Stmt::Expr(e), true)) => block.value = Some(e),
                Some((s, _)) => block.stmts.push(s),
                None => {}
            }
        }
        self.pos += 1;
        self.names.truncate(mark);
        Ok(block)
    }

    /// A block in statement position: its value, if any, is evaluated and dropped.
    fn statement_block(&mut self) -> Res<Block> {
        let mut b = self.block()?;
        if let Some(v) = b.value.take() {
            b.stmts.push(Stmt::Expr(v));
        }
        Ok(b)
    }

    fn if_statement(&mut self) -> Res<Stmt> {
        let cond = self.expr()?;
        let then = self.statement_block()?;
        let otherwise = if self.is_word("else") {
            self.pos += 1;
            if self.is_word("if") {
                self.pos += 1;
                Some(Block {
                    stmts: vec![self.if_statement()?],
                    value: None,
                })
            } else {
                Some(self.statement_block()?)
            }
        } else {
            None
        };
        Ok(Stmt::If(cond, then, otherwise))
    }

    fn if_expr(&mut self) -> Res<Expr> {
        let cond = self.expr()?;
        let then = self.value_block()?;
        if !self.is_word("else") {
            return Err(NotInSubset::new("作为值的 if 需要 else"));
        }
        self.pos += 1;
        let otherwise = if self.is_word("if") {
            self.pos += 1;
            Block {
                stmts: Vec::new(),
                value: Some(self.if_expr()?),
            }
        } else {
            self.value_block()?
        };
        Ok(Expr::If(
            Box::new(cond),
            Box::new(then),
            Box::new(otherwise),
        ))
    }

    /// A block whose value is used: it must end with an expression without `;`.
    fn value_block(&mut self) -> Res<Block> {
        let b = self.block()?;
        if b.value.is_none() {
            return Err(NotInSubset::new("作为值的代码块应以表达式结尾"));
        }
        Ok(b)
    }

    fn for_statement(&mut self) -> Res<Stmt> {
        let name = self.ident()?;
        if !self.is_word("in") {
            return Err(NotInSubset::new("for 之后应为 'in'"));
        }
        self.pos += 1;
        let iterable = self.expr()?;
        let source = match iterable {
            Expr::Call(Func::Certs, mut args) if args.len() == 1 => {
                Source::Certs(args.pop().unwrap_or(Expr::Const(Const::Unit)))
            }
            Expr::Get(root, Prop::Hires) if matches!(*root, Expr::Profile) => Source::Hires,
            other => Source::Array(other),
        };
        let mark = self.names.len();
        let slot = self.declare(name)?;
        let body = self.statement_block()?;
        self.names.truncate(mark);
        Ok(Stmt::For(slot, source, body))
    }

    fn args(&mut self, close: &str) -> Res<Vec<Expr>> {
        let mut args = Vec::new();
        while !self.eat(close) {
            if !args.is_empty() {
                self.expect(",")?;
                if self.eat(close) {
                    break;
                }
            }
            args.push(self.expr()?);
        }
        Ok(args)
    }

    pub(crate) fn expr(&mut self) -> Res<Expr> {
        let mut lhs = self.and()?;
        while self.eat("||") {
            lhs = Expr::Or(Box::new(lhs), Box::new(self.and()?));
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Res<Expr> {
        let mut lhs = self.equality()?;
        while self.eat("&&") {
            lhs = Expr::And(Box::new(lhs), Box::new(self.equality()?));
        }
        Ok(lhs)
    }

    fn equality(&mut self) -> Res<Expr> {
        let mut lhs = self.relation()?;
        loop {
            let op = if self.eat("==") {
                Cmp::Eq
            } else if self.eat("!=") {
                Cmp::Ne
            } else {
                return Ok(lhs);
            };
            lhs = fused::compare(op, lhs, self.relation()?);
        }
    }

    fn relation(&mut self) -> Res<Expr> {
        let mut lhs = self.sum()?;
        loop {
            let op = if self.eat("<") {
                Cmp::Lt
            } else if self.eat("<=") {
                Cmp::Le
            } else if self.eat(">") {
                Cmp::Gt
            } else if self.eat(">=") {
                Cmp::Ge
            } else {
                return Ok(lhs);
            };
            lhs = fused::compare(op, lhs, self.sum()?);
        }
    }

    fn sum(&mut self) -> Res<Expr> {
        let mut lhs = self.product()?;
        loop {
            let op = if self.eat("+") {
                Arith::Add
            } else if self.eat("-") {
                Arith::Sub
            } else {
                return Ok(lhs);
            };
            lhs = Expr::Arith(op, Box::new(lhs), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Res<Expr> {
        let mut lhs = self.unary()?;
        loop {
            let op = if self.eat("*") {
                Arith::Mul
            } else if self.eat("/") {
                Arith::Div
            } else {
                return Ok(lhs);
            };
            lhs = Expr::Arith(op, Box::new(lhs), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Res<Expr> {
        if self.eat("!") {
            return Ok(fused::not(self.unary()?));
        }
        if self.eat("-") {
            // rhai reads `-12` as one literal.
            if let Some(Tok::Int(n)) = self.peek()
                && !matches!(self.peek_at(1), Some(Tok::Punct("." | "[")))
            {
                self.pos += 1;
                return Ok(Expr::Const(Const::Int(-n)));
            }
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Res<Expr> {
        let root = self.primary()?;
        let mut steps = Vec::new();
        loop {
            if self.eat(".") {
                let name = self.ident()?;
                if self.eat("(") {
                    let m = Method::of(name)
                        .ok_or_else(|| NotInSubset::new(format!("不支持的方法 '{name}'")))?;
                    steps.push(Step::Call(m, self.args(")")?));
                } else {
                    let p = Prop::of(name)
                        .ok_or_else(|| NotInSubset::new(format!("不支持的属性 '{name}'")))?;
                    steps.push(Step::Get(p));
                }
            } else if self.eat("[") {
                let index = self.expr()?;
                self.expect("]")?;
                steps.push(Step::Index(index));
            } else {
                break;
            }
        }
        Ok(match (root, steps.as_slice()) {
            (root, []) => root,
            (root @ (Expr::Profile | Expr::Local(_)), [Step::Get(p)]) => {
                Expr::Get(Box::new(root), *p)
            }
            (root, _) => fused::chain(root, steps),
        })
    }

    fn primary(&mut self) -> Res<Expr> {
        let Some(tok) = self.peek() else {
            return Err(NotInSubset::new("表达式不完整"));
        };
        self.pos += 1;
        match tok {
            Tok::Int(n) => Ok(Expr::Const(Const::Int(*n))),
            Tok::Str(s) => Ok(Expr::Const(Const::Str(s.as_str().into()))),
            Tok::Punct("(") => {
                if self.eat(")") {
                    return Ok(Expr::Const(Const::Unit));
                }
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Punct("[") => Ok(Expr::Array(self.args("]")?)),
            Tok::Ident(w) if w == "true" => Ok(Expr::Const(Const::Bool(true))),
            Tok::Ident(w) if w == "false" => Ok(Expr::Const(Const::Bool(false))),
            Tok::Ident(w) if w == "if" => self.if_expr(),
            Tok::Ident(name) if self.is("(") => {
                self.pos += 1;
                let f = Func::of(name)
                    .ok_or_else(|| NotInSubset::new(format!("不支持的函数 '{name}'")))?;
                let mut args = self.args(")")?;
                if matches!(f, Func::Require | Func::Grant | Func::GrantItem) {
                    split_reason(&mut args)?;
                }
                Ok(Expr::Call(f, args))
            }
            Tok::Ident(name) => match self.lookup(name) {
                Some(Binding::Slot(s)) => Ok(Expr::Local(s)),
                Some(Binding::Profile) => Ok(Expr::Profile),
                Some(Binding::AsOf) => Ok(Expr::AsOf),
                Some(Binding::Params) => self.param(),
                None => Err(NotInSubset::new(format!("未知变量 '{name}'"))),
            },
            Tok::Punct(p) => Err(NotInSubset::new(format!("不支持的写法 '{p}'"))),
        }
    }

    /// `params.name`, folded to the parameter's value on this date.
    fn param(&mut self) -> Res<Expr> {
        let is_read = self.is(".")
            && matches!(self.peek_at(1), Some(Tok::Ident(_)))
            && !matches!(self.peek_at(2), Some(Tok::Punct("(")));
        if !is_read {
            return Err(NotInSubset::new("params 只能以 params.名称 读取"));
        }
        self.pos += 1;
        let name = self.ident()?;
        Ok(match self.params.get(name) {
            Some(v) => Expr::Const(constant(v)?),
            None => Expr::HandOver("参数在此日期未生效"),
        })
    }
}

/// A condition's reason text (its second argument), split into pieces and placeholders once
/// here rather than at each rendering (see `rules::template`), with the values that are
/// constants already written into it. The compiled subset takes only a constant text: one
/// computed at run time could not be split, and every text that reaches a condition is rendered
/// as a split one.
fn split_reason(args: &mut [Expr]) -> Res<()> {
    let [_, text, values @ ..] = args else {
        return Ok(());
    };
    match text {
        Expr::Const(Const::Str(text)) => {
            let split = template::split(text, |out, k, spec| match values.get(k) {
                None => {
                    out.push('?');
                    true
                }
                Some(Expr::Const(c)) => effects::write_constant(out, c, spec),
                Some(_) => false,
            });
            *text = split
                .ok_or_else(|| NotInSubset::new("理由文字过长"))?
                .into();
            Ok(())
        }
        // Not a text: rhai decides what happens (the evaluation is handed over to it).
        Expr::Const(_) | Expr::HandOver(_) => Ok(()),
        _ => Err(NotInSubset::new("理由文字应为字符串常量")),
    }
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "let"
            | "if"
            | "else"
            | "for"
            | "in"
            | "true"
            | "false"
            | "const"
            | "fn"
            | "while"
            | "loop"
            | "do"
            | "until"
            | "return"
            | "throw"
            | "break"
            | "continue"
            | "switch"
            | "try"
            | "catch"
            | "import"
            | "export"
            | "private"
            | "this"
            | "global"
            | "as"
    )
}

/// A parameter's value as a compile-time constant.
fn constant(v: &Dynamic) -> Res<Const> {
    if v.is_unit() {
        return Ok(Const::Unit);
    }
    if let Ok(i) = v.as_int() {
        return Ok(Const::Int(i as INT));
    }
    if let Ok(b) = v.as_bool() {
        return Ok(Const::Bool(b));
    }
    if let Some(d) = v.clone().try_cast::<Decimal>() {
        return Ok(Const::Dec(d));
    }
    if let Some(s) = v.clone().try_cast::<ImmutableString>() {
        return Ok(Const::Str(s.as_str().into()));
    }
    if let Some(Day(d)) = v.clone().try_cast::<Day>() {
        return Ok(Const::Date(d));
    }
    Err(NotInSubset::new("参数类型不支持"))
}

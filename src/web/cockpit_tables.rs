//! The cockpit's figures as tables: the page shows them beside the charts (money as
//! `1,000,000.00 元`, times in Beijing time), the CSV export writes them (money as plain
//! decimals, for spreadsheets).

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::cockpit::Figures;
use super::format;
use super::profile_view;
/// The names of the charts, in the page's order (each is an endpoint and an export).
pub use crate::cockpit::CHARTS as CHART_NAMES;

/// Who reads the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A person, on the page.
    Screen,
    /// A spreadsheet.
    Csv,
}

impl Style {
    fn money(self, amount: Decimal) -> String {
        match self {
            Style::Screen => format::yuan(amount),
            Style::Csv => amount
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
                .to_string(),
        }
    }

    fn money_or_none(self, amount: Option<Decimal>) -> String {
        amount.map_or_else(|| "—".to_owned(), |a| self.money(a))
    }

    fn time(self, at: DateTime<Utc>) -> String {
        format::beijing(at)
    }
}

/// A table: its column headers and rows of printed cells.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: Vec<&'static str>,
    /// Which columns hold numbers (right-aligned).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

/// One chart of the cockpit.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Its endpoint's last path segment, and the export's file name.
    pub name: &'static str,
    pub title: &'static str,
    /// What the chart shows, for screen readers and as a caption.
    pub caption: &'static str,
    pub table: Table,
}

fn chart(
    name: &'static str,
    title: &'static str,
    caption: &'static str,
    headers: &[&'static str],
    text_columns: usize,
    rows: Vec<Vec<String>>,
) -> Chart {
    Chart {
        name,
        title,
        caption,
        table: Table {
            numeric: (0..headers.len()).map(|i| i >= text_columns).collect(),
            headers: headers.to_vec(),
            rows,
        },
    }
}

/// `part` as a percentage of `whole`, one decimal (half away from zero).
pub fn percent(part: Decimal, whole: Option<Decimal>) -> String {
    match whole {
        Some(w) if !w.is_zero() => format!(
            "{}%",
            (part * Decimal::ONE_HUNDRED / w)
                .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        ),
        _ => "—".to_owned(),
    }
}

fn ms(value: &serde_json::Value, phase: &str) -> String {
    value
        .get(phase)
        .and_then(serde_json::Value::as_i64)
        .map_or_else(|| "—".to_owned(), format::duration_ms)
}

fn opt(n: Option<i64>) -> String {
    n.map_or_else(|| "—".to_owned(), |n| n.to_string())
}

fn run_status(status: &str) -> &'static str {
    match status {
        "succeeded" => "成功",
        "failed" => "失败",
        "running" => "运行中",
        _ => "未知",
    }
}

fn channel(code: &str) -> &str {
    match code {
        "inbox" => "站内信",
        "webhook" => "Webhook",
        "email" => "电子邮件",
        "sms" => "短信",
        other => other,
    }
}

/// Every chart's table, in the page's order ([`CHART_NAMES`]).
pub fn tables(f: &Figures, style: Style) -> Vec<Chart> {
    vec![
        chart(
            "policies",
            "各政策资金与预算",
            "各政策应拨金额、已拨付金额与预算的柱状图",
            &[
                "政策",
                "企业数",
                "补贴笔数",
                "应拨金额（元）",
                "已拨付（元）",
                "预算（元）",
                "应拨占预算",
            ],
            1,
            f.policies
                .iter()
                .map(|p| {
                    vec![
                        p.title.clone(),
                        p.grants.to_string(),
                        style.money(p.amount),
                        style.money(p.paid),
                        style.money_or_none(p.budget),
                        percent(p.amount, p.budget),
                    ]
                })
                .collect(),
        ),
        chart(
            "funnel",
            "兑现漏斗",
            "从符合条件到已拨付各阶段的补贴笔数漏斗图",
            &["阶段", "补贴笔数", "金额（元）"],
            1,
            f.funnel
                .iter()
                .map(|s| {
                    vec![
                        s.label.to_owned(),
                        s.grants.to_string(),
                        style.money(s.amount),
                    ]
                })
                .collect(),
        ),
        chart(
            "time-to-cash",
            "从认定到拨付的用时",
            "各政策从认定符合条件到资金到账用时的中位数与第 90 百分位柱状图",
            &["政策", "已拨付笔数", "中位数", "第 90 百分位"],
            1,
            f.cash
                .iter()
                .map(|c| {
                    vec![
                        c.policy_id.clone(),
                        c.paid.to_string(),
                        format::duration_secs(c.median_secs),
                        format::duration_secs(c.p90_secs),
                    ]
                })
                .collect(),
        ),
        chart(
            "notices",
            "通知送达（按渠道）",
            "各渠道通知待发送、已送达、重试中与失败数量的堆叠柱状图",
            &["渠道", "待发送", "已送达", "重试中", "失败"],
            1,
            f.channels
                .iter()
                .map(|c| {
                    vec![
                        channel(&c.channel).to_owned(),
                        c.queued.to_string(),
                        c.delivered.to_string(),
                        c.failing.to_string(),
                        c.dead.to_string(),
                    ]
                })
                .collect(),
        ),
        chart(
            "quarantine",
            "每晚隔离的记录（按数据来源）",
            "每晚各数据来源被隔离记录数的堆叠柱状图",
            &["日期", "数据来源", "记录数"],
            2,
            f.quarantine
                .iter()
                .map(|q| {
                    vec![
                        q.night.to_string(),
                        profile_view::source_name(&q.source).to_owned(),
                        q.records.to_string(),
                    ]
                })
                .collect(),
        ),
        chart(
            "nightly",
            "最近的夜间任务",
            "最近各次夜间任务导入、匹配与公示阶段用时的堆叠柱状图",
            &[
                "开始时间",
                "状态",
                "总用时",
                "导入",
                "匹配",
                "公示",
                "企业数",
                "隔离记录",
            ],
            2,
            f.nightly
                .runs
                .iter()
                .map(|r| {
                    vec![
                        style.time(r.started_at),
                        run_status(&r.status).to_owned(),
                        r.duration_ms
                            .map_or_else(|| "—".to_owned(), format::duration_ms),
                        ms(&r.phases_ms, "ingest"),
                        ms(&r.phases_ms, "matching"),
                        ms(&r.phases_ms, "publicity"),
                        opt(r.firms),
                        opt(r.quarantined),
                    ]
                })
                .collect(),
        ),
        chart(
            "districts",
            "按行政区划",
            "各行政区划企业的应拨金额与已拨付金额柱状图",
            &[
                "行政区划代码",
                "企业数",
                "补贴笔数",
                "应拨金额（元）",
                "已拨付（元）",
            ],
            1,
            slices(&f.districts, style, |k| {
                if k.is_empty() {
                    "未知".to_owned()
                } else {
                    k.to_owned()
                }
            }),
        ),
        chart(
            "sizes",
            "按企业规模",
            "各规模企业的应拨金额与已拨付金额柱状图",
            &[
                "企业规模",
                "企业数",
                "补贴笔数",
                "应拨金额（元）",
                "已拨付（元）",
            ],
            1,
            slices(&f.sizes, style, |k| profile_view::size(k).to_owned()),
        ),
    ]
}

fn slices(
    rows: &[crate::cockpit::SliceRow],
    style: Style,
    name: impl Fn(&str) -> String,
) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                name(&r.key),
                r.grants.to_string(),
                style.money(r.amount),
                style.money(r.paid),
            ]
        })
        .collect()
}

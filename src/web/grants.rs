//! A firm's grants: the list, and a grant's page with the amount, every reason passed or
//! failed, the items (hires counted and those not, with why), a timeline of its steps up to
//! paid, and — for a 确认即享 grant awaiting the firm — confirm (payee account and the
//! signed commitment), decline or object, right on the page. Staff open the same page
//! read-only; a firm only ever its own grants.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::chrome::Chrome;
use super::format;
use crate::accounts::Role;
use crate::edge::auth::{Authorized, CurrentUser, Enterprises, FirmReaders};
use crate::edge::{ApiError, ApiForm, ApiPath, AppState};
use crate::firms::FirmScope;
use crate::grants::steps::GrantStatus;
use crate::grants::{self, Answer, GrantDetail};
use crate::matching;

/// The commitment a firm signs when it confirms.
pub const COMMITMENT: &str = "本单位承诺：所提供的信息真实、准确、完整，符合政策规定的条件，\
所获资金将按规定使用；如有虚假，自愿退回全部资金并承担相应责任。";

/// One condition of the decision.
#[derive(Debug, Clone)]
pub struct ReasonRow {
    pub text: String,
    pub passed: bool,
}

/// One item (a hire, a certificate) of the decision.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub key: String,
    pub date: String,
    pub amount: String,
    pub passed: bool,
    pub why: String,
}

/// One step of the grant's way to the firm's account.
#[derive(Debug, Clone)]
pub struct Step {
    pub label: String,
    pub at: String,
    /// `done`, `next` or `todo`.
    pub state: &'static str,
}

/// One line of the list.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: i64,
    pub title: String,
    pub amount: String,
    pub mode: String,
    pub status: &'static str,
    pub at: String,
    pub to_answer: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "grants.html")]
pub(super) struct GrantsPage {
    chrome: Chrome,
    lines: Vec<Line>,
}

#[derive(Template, WebTemplate)]
#[template(path = "grant.html")]
pub(super) struct GrantPage {
    chrome: Chrome,
    grant: GrantDetail,
    amount: String,
    status: &'static str,
    period: String,
    reasons: Vec<ReasonRow>,
    items: Vec<ItemRow>,
    timeline: Vec<Step>,
    answer: Option<String>,
    can_answer: bool,
    commitment: &'static str,
}

fn scope_of(current: &CurrentUser) -> Result<Option<String>, ApiError> {
    match FirmScope::of(&current.user) {
        FirmScope::Own(uscc) => Ok(Some(uscc.as_str().to_owned())),
        FirmScope::All => Ok(None),
        FirmScope::Nothing => Err(ApiError::NotFound("没有所属企业".to_owned())),
    }
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
) -> Result<GrantsPage, ApiError> {
    let uscc = scope_of(&current)?.unwrap_or_default();
    let lines = grants::list_summaries(&state.pool, &uscc, 200)
        .await?
        .into_iter()
        .map(|g| Line {
            id: g.id,
            title: g.policy_title,
            amount: format::yuan(g.amount),
            to_answer: g.mode == "确认即享" && g.status == "created",
            mode: g.mode,
            status: format::grant_status(&g.status),
            at: format::beijing(g.created_at),
        })
        .collect();
    Ok(GrantsPage {
        chrome: Chrome::new("我的补贴", Some(&current)),
        lines,
    })
}

fn reasons_of(value: Option<&Value>) -> Vec<ReasonRow> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| ReasonRow {
            text: r["text"].as_str().unwrap_or_default().to_owned(),
            passed: r["passed"].as_bool().unwrap_or(false),
        })
        .collect()
}

fn items_of(value: Option<&Value>) -> Vec<ItemRow> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| {
            let why: Vec<String> = reasons_of(i.get("reasons"))
                .into_iter()
                .map(|r| format!("{}{}", if r.passed { "✓ " } else { "✗ " }, r.text))
                .collect();
            ItemRow {
                key: i["key"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(8)
                    .collect(),
                date: i["date"].as_str().unwrap_or_default().to_owned(),
                amount: i["amount"]
                    .as_str()
                    .and_then(|a| a.parse().ok())
                    .map_or_else(String::new, format::yuan),
                passed: i["passed"].as_bool().unwrap_or(false),
                why: why.join("；"),
            }
        })
        .collect()
}

/// The period a grant counts against, in words: `once`, a year, a date.
fn period_of(key: &str) -> String {
    match key {
        "once" => "一次性（同一企业只享受一次）".to_owned(),
        year if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{year}年度")
        }
        other => other.to_owned(),
    }
}

fn at(moment: Option<DateTime<Utc>>) -> String {
    moment.map(format::beijing).unwrap_or_default()
}

/// The grant's steps, those behind it done and the one it waits for marked: how it was
/// found and told, the firm's answer, then the money's road as the grant took it
/// (`history`: each step [`grants::steps::advance`] recorded, with its time) and what is
/// still ahead of it up to 已对账.
fn timeline(g: &GrantDetail, history: &[(String, DateTime<Utc>)]) -> Vec<Step> {
    let step = |label: &str, at: String, state| Step {
        label: label.to_owned(),
        at,
        state,
    };
    let mut steps = vec![
        step(
            "平台依据共享数据认定符合条件",
            at(g.decided_at.or(Some(g.created_at))),
            "done",
        ),
        step(
            "向企业推送通知",
            at(g.notified_at),
            if g.notified_at.is_some() {
                "done"
            } else {
                "next"
            },
        ),
    ];
    let answered = g.answered_at.is_some();
    match (g.mode.as_str(), g.status.as_str()) {
        ("免申即享", _) => {
            steps.push(step("免申即享：无需企业申请或确认", String::new(), "done"))
        }
        (_, "created") => steps.push(step(
            "企业确认领取（填写收款账户并签署承诺）",
            String::new(),
            "next",
        )),
        (_, "declined") => {
            steps.push(step("企业已放弃领取，流程结束", at(g.answered_at), "done"));
            return steps;
        }
        (_, "objected") => {
            steps.push(step(
                "企业已提出异议，等待审核人员答复",
                at(g.answered_at),
                "next",
            ));
            return steps;
        }
        _ => steps.push(step(
            "企业确认领取",
            at(g.answered_at),
            if answered { "done" } else { "todo" },
        )),
    }
    // The road as it happened.
    for (status, moment) in history {
        if let Some(label) = status.parse().ok().and_then(road_label) {
            steps.push(step(label, format::beijing(*moment), "done"));
        }
    }
    let Ok(current) = g.status.parse::<GrantStatus>() else {
        return steps;
    };
    match current {
        GrantStatus::Held => {
            if history.is_empty() {
                steps.push(step(
                    road_label(current).unwrap_or_default(),
                    at(Some(g.updated_at)),
                    "next",
                ));
            } else if let Some(last) = steps.last_mut() {
                last.state = "next";
            }
            return steps;
        }
        GrantStatus::Rejected | GrantStatus::Declined | GrantStatus::Reconciled => return steps,
        GrantStatus::AwaitingAccount => steps.push(step(
            "请提供或更正收款账户（账户名称须与企业登记名称一致），之后重新拨付",
            String::new(),
            "next",
        )),
        GrantStatus::Disputed => {
            steps.push(step("等待审核人员处理公示异议", String::new(), "next"))
        }
        _ => {}
    }
    // What is still ahead, up to 已对账.
    let waiting = g.mode == "免申即享" || answered;
    let position = ROAD.iter().position(|(s, _)| *s == road_position(current));
    let ahead = position.map_or(0, |p| p + 1);
    for (i, (_, label)) in ROAD.iter().enumerate().skip(ahead) {
        let first = i == ahead
            && !matches!(
                current,
                GrantStatus::AwaitingAccount | GrantStatus::Disputed
            );
        let state = if first && (waiting || position.is_some()) {
            "next"
        } else {
            "todo"
        };
        steps.push(step(label, String::new(), state));
    }
    steps
}

/// The money's road ahead of a grant, as a to-do list.
const ROAD: [(GrantStatus, &str); 8] = [
    (GrantStatus::Reviewed, "业务部门审核"),
    (GrantStatus::Publicity, "公示（公示期内可提出异议）"),
    (GrantStatus::Ready, "公示期满，待财政拨付"),
    (GrantStatus::InBatch, "编入拨付批次"),
    (GrantStatus::Approved, "财务复核审批"),
    (GrantStatus::Sent, "支付指令提交国库"),
    (GrantStatus::Paid, "资金到账"),
    (GrantStatus::Reconciled, "国库对账"),
];

/// Where on [`ROAD`] a grant at `status` stands (a bounced one is back before payment).
fn road_position(status: GrantStatus) -> GrantStatus {
    match status {
        GrantStatus::Disputed => GrantStatus::Publicity,
        GrantStatus::AwaitingAccount | GrantStatus::Returned => GrantStatus::Ready,
        other => other,
    }
}

/// A step the grant took, as the firm reads it; `None` for the firm's own answers (shown
/// above the road).
fn road_label(status: GrantStatus) -> Option<&'static str> {
    Some(match status {
        GrantStatus::Reviewed => "业务部门审核通过",
        GrantStatus::Rejected => "审核未通过，流程结束",
        GrantStatus::Publicity => "进入公示（公示期内可提出异议）",
        GrantStatus::Disputed => "公示期内有异议，待审核人员处理",
        GrantStatus::Held => "暂缓：企业最新数据不再符合条件，等待人工复核",
        GrantStatus::Ready => "进入拨付（待财政拨付）",
        GrantStatus::AwaitingAccount => "待补充收款账户",
        GrantStatus::InBatch => "已编入拨付批次",
        GrantStatus::Approved => "拨付批次已审批",
        GrantStatus::Sent => "支付指令已提交国库",
        GrantStatus::Paid => "资金已到账",
        GrantStatus::Returned => "支付被退回（收款账户有误）",
        GrantStatus::Reconciled => "国库对账相符，拨付完成",
        GrantStatus::Created
        | GrantStatus::Confirmed
        | GrantStatus::Declined
        | GrantStatus::Objected => return None,
    })
}

fn answer_text(g: &GrantDetail) -> Option<String> {
    let when = at(g.answered_at);
    match g.answer_kind.as_deref()? {
        "confirm" => Some(format!(
            "已于 {when} 确认领取，收款账户：{}（{}）",
            g.answer_account_name.as_deref().unwrap_or_default(),
            crate::audit::mask::account_number(g.answer_account_no.as_deref().unwrap_or_default())
        )),
        "decline" => Some(format!("已于 {when} 放弃领取")),
        "object" => Some(format!(
            "已于 {when} 提出异议：{}",
            g.answer_message.as_deref().unwrap_or_default()
        )),
        _ => None,
    }
}

pub(super) async fn grant_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    ApiPath(id): ApiPath<i64>,
) -> Result<GrantPage, ApiError> {
    let scope = scope_of(&current)?;
    let grant = grants::find_detail(&state.pool, id, scope.as_deref())
        .await?
        .ok_or_else(|| ApiError::NotFound("未找到该补贴".to_owned()))?;
    let history = grants::step_history(&state.pool, grant.id).await?;
    let (reasons, items) = decision_of(&state, &grant).await;
    let can_answer = current.user.role == Role::Enterprise
        && grant.mode == "确认即享"
        && grant.status == "created";
    Ok(GrantPage {
        chrome: Chrome::new(format!("补贴详情：{}", grant.policy_title), Some(&current)),
        amount: format::yuan(grant.amount),
        status: format::grant_status(&grant.status),
        period: period_of(&grant.period_key),
        reasons: reasons_of(reasons.as_ref()),
        items: items_of(items.as_ref()),
        timeline: timeline(&grant, &history),
        answer: answer_text(&grant),
        can_answer,
        commitment: COMMITMENT,
        grant,
    })
}

/// The reasons and items of the decision behind `grant`: as stored, or, when only the
/// decision was stored (a firm that stopped qualifying by more than one condition), replayed
/// exactly from its rule version and profile snapshot.
async fn decision_of(state: &AppState, grant: &GrantDetail) -> (Option<Value>, Option<Value>) {
    if grant.explained != Some(false) {
        return (grant.reasons.clone(), grant.items.clone());
    }
    match matching::replay(&state.pool, &grant.uscc, &grant.policy_id).await {
        Ok(Some(replay)) => (
            serde_json::to_value(&replay.replayed.reasons).ok(),
            serde_json::to_value(&replay.replayed.items).ok(),
        ),
        Ok(None) => (None, None),
        Err(error) => {
            tracing::warn!(grant = grant.id, %error, "replaying the decision behind a grant failed");
            (None, None)
        }
    }
}

/// `/grants/{id}`, the link notices carry: the grant's page.
pub(super) async fn notice_link(ApiPath(id): ApiPath<i64>) -> Redirect {
    Redirect::to(&format!("/my/grants/{id}"))
}

#[derive(Debug, Deserialize)]
pub(super) struct ConfirmForm {
    bank_account_name: String,
    bank_account_no: String,
    commitment: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ObjectForm {
    message: String,
}

async fn record(
    state: &AppState,
    current: &CurrentUser,
    id: i64,
    answer: &Answer,
) -> Result<Redirect, ApiError> {
    grants::answer(&state.pool, &current.user, id, answer).await?;
    Ok(Redirect::to(&format!("/my/grants/{id}")))
}

pub(super) async fn confirm(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<ConfirmForm>,
) -> Result<Redirect, ApiError> {
    let answer = Answer::Confirm {
        bank_account_name: form.bank_account_name,
        bank_account_no: form.bank_account_no,
        commitment: form.commitment.unwrap_or_default(),
        // The page asks for no bank yet: the firm sets its payee account separately.
        bank: None,
    };
    record(&state, &current, id, &answer).await
}

pub(super) async fn decline(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    record(&state, &current, id, &Answer::Decline).await
}

pub(super) async fn object(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<ObjectForm>,
) -> Result<Redirect, ApiError> {
    let answer = Answer::Object {
        message: form.message,
    };
    record(&state, &current, id, &answer).await
}

//! The reviewer's workspace (`/review`, 业务审核): policy drafts by others to publish, grants
//! to review in batches (tick many, approve or reject with one reason), objections raised in
//! 公示 and data objections to answer, the 公示 lists and the quarantine. Each step calls
//! the same domain function as the API, which checks the role again (a page offers only
//! what the server would allow).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::Redirect;
use axum::routing::{get, post};
use serde::Deserialize;

use super::chrome::Chrome;
use super::format;
use crate::edge::auth::{Authorized, Reviewers};
use crate::edge::{ApiError, ApiForm, ApiPath, ApiQuery, AppState, answer_data_objection};
use crate::firms::FirmScope;
use crate::grants::publicity;
use crate::grants::review::{self, Decision, Window};
use crate::grants::steps::{Actor, GrantStatus};
use crate::grants::{automatic_awaiting_review, list_objections, review_queue};
use crate::{ingest, policies};

/// The reviewer's pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/review", get(hub))
        .route("/review/grants", get(grants_page).post(decide))
        .route("/review/objections", get(objections_page))
        .route(
            "/review/objections/{id}/answer",
            post(answer_publicity_objection),
        )
        .route("/review/data-objections/{id}/answer", post(answer_data))
}

/// Most rows a list shows.
const SHOWN: i64 = 500;

/// A draft waiting to be published.
#[derive(Debug, Clone)]
pub struct DraftRow {
    pub id: i64,
    pub title: String,
    pub author: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "review.html")]
pub(super) struct HubPage {
    chrome: Chrome,
    drafts: Vec<DraftRow>,
    to_review: usize,
    open_objections: usize,
    open_data_objections: usize,
}

async fn hub(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
) -> Result<HubPage, ApiError> {
    let me = &current.user.username;
    let drafts = policies::list_versions_page(&state.pool, i64::MAX, 200)
        .await?
        .into_iter()
        .filter(|v| v.status == "draft" && &v.author != me)
        .map(|v| DraftRow {
            id: v.id,
            title: v.title,
            author: v.author,
            at: format::beijing(v.created_at),
        })
        .collect();
    // What can be approved now: grants the firm confirmed, and 免申即享 grants whose
    // amount is fixed (a 确认即享 grant waits for the firm first).
    let to_review = review_queue(&state.pool, GrantStatus::Confirmed.as_str(), None, 0, SHOWN)
        .await?
        .len()
        + automatic_awaiting_review(&state.pool).await?.len();
    let open_objections = list_objections(&state.pool, false, 0, SHOWN).await?.len();
    let open_data_objections = data_objections(&state).await?.len();
    Ok(HubPage {
        chrome: Chrome::new("业务审核工作台", Some(&current)),
        drafts,
        to_review,
        open_objections,
        open_data_objections,
    })
}

/// The statuses a reviewer works on, in the order they come.
const QUEUES: [(GrantStatus, &str); 4] = [
    (GrantStatus::Confirmed, "企业已确认，待审核"),
    (GrantStatus::Created, "已认定，待审核（免申即享）"),
    (GrantStatus::Objected, "企业有异议"),
    (GrantStatus::Held, "暂缓（企业不再符合条件）"),
];

#[derive(Debug, Default, Deserialize)]
pub(super) struct GrantsQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    done: String,
}

/// A queue the filter offers.
#[derive(Debug, Clone)]
pub struct QueueOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// A grant in the queue.
#[derive(Debug, Clone)]
pub struct GrantRow {
    pub id: i64,
    pub policy_id: String,
    pub uscc: String,
    pub amount: String,
    pub mode: String,
    pub note: &'static str,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "review_grants.html")]
pub(super) struct GrantsPage {
    chrome: Chrome,
    queues: Vec<QueueOption>,
    status: &'static str,
    policy: String,
    rows: Vec<GrantRow>,
    done: String,
}

async fn grants_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    ApiQuery(q): ApiQuery<GrantsQuery>,
) -> Result<GrantsPage, ApiError> {
    let policy = q.policy.trim();
    let policy = Some(policy).filter(|p| !p.is_empty());
    let chosen = QUEUES.iter().find(|(s, _)| s.as_str() == q.status.trim());
    let mut status = chosen.map_or(QUEUES[0].0, |(s, _)| *s);
    let mut found = review_queue(&state.pool, status.as_str(), policy, 0, SHOWN).await?;
    if chosen.is_none() && found.is_empty() {
        // Nothing confirmed: open on the 免申即享 grants instead.
        status = GrantStatus::Created;
        found = review_queue(&state.pool, status.as_str(), policy, 0, SHOWN).await?;
    }
    // The 免申即享 queue: a 确认即享 grant at `created` waits for its firm, not for review.
    found.retain(|g| status != GrantStatus::Created || g.mode != "确认即享");
    let rows = found
        .into_iter()
        .map(|g| GrantRow {
            note: if g.provisional {
                "按比例分配，金额未定"
            } else {
                ""
            },
            id: g.id,
            policy_id: g.policy_id,
            uscc: g.uscc,
            amount: format::yuan(g.amount),
            mode: g.mode,
            at: format::beijing(g.created_at),
        })
        .collect();
    Ok(GrantsPage {
        chrome: Chrome::new("待审核的补贴", Some(&current)),
        queues: QUEUES
            .iter()
            .map(|(s, label)| QueueOption {
                code: s.as_str(),
                label,
                selected: *s == status,
            })
            .collect(),
        status: status.as_str(),
        policy: policy.unwrap_or_default().to_owned(),
        rows,
        done: q.done,
    })
}

/// The queue's form: the grants ticked, one reason, approve or reject (all or nothing).
async fn decide(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> Result<Redirect, ApiError> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    };
    let ids = form
        .iter()
        .filter(|(k, _)| k == "grant")
        .map(|(_, v)| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::BadRequest(format!("补贴编号“{v}”无效")))
        })
        .collect::<Result<Vec<i64>, _>>()?;
    let decision = match field("decision") {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        other => {
            return Err(ApiError::BadRequest(format!(
                "审核结论“{other}”无效：请选择通过或驳回"
            )));
        }
    };
    let actor = Actor::user(&current.user);
    let outcome = review::review(
        &state.pool,
        &ids,
        decision,
        &actor,
        field("reason"),
        Window::PolicyDays,
    )
    .await?;
    let done = match decision {
        Decision::Approve => format!(
            "已审核通过：{} 项进入公示，{} 项待拨付，{} 项待企业提供收款账户。",
            outcome.publicity, outcome.ready, outcome.awaiting_account
        ),
        Decision::Reject => format!("已驳回 {} 项。", outcome.rejected),
    };
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("status", field("status"))
        .append_pair("done", &done)
        .finish();
    Ok(Redirect::to(&format!("/review/grants?{query}")))
}

/// An objection raised in 公示.
#[derive(Debug, Clone)]
pub struct ObjectionRow {
    pub id: i64,
    pub grant_id: i64,
    pub policy_id: String,
    pub raised_by: String,
    pub message: String,
    pub at: String,
}

/// A data objection to a profile field.
#[derive(Debug, Clone)]
pub struct DataObjectionRow {
    pub id: i64,
    pub uscc: String,
    pub field: String,
    pub message: String,
    pub raised_by: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "review_objections.html")]
pub(super) struct ObjectionsPage {
    chrome: Chrome,
    objections: Vec<ObjectionRow>,
    data: Vec<DataObjectionRow>,
    done: String,
}

/// Open data objections, newest first.
async fn data_objections(state: &AppState) -> Result<Vec<ingest::Objection>, ApiError> {
    Ok(
        ingest::list_objections(&state.pool, &FirmScope::All, i64::MAX, SHOWN)
            .await?
            .into_iter()
            .filter(|o| o.answer.is_none())
            .collect(),
    )
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn objections_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    ApiQuery(q): ApiQuery<DoneQuery>,
) -> Result<ObjectionsPage, ApiError> {
    let objections = list_objections(&state.pool, false, 0, SHOWN)
        .await?
        .into_iter()
        .map(|o| ObjectionRow {
            id: o.id,
            grant_id: o.grant_id,
            policy_id: o.policy_id,
            raised_by: o.raised_by,
            message: o.message,
            at: format::beijing(o.raised_at),
        })
        .collect();
    let data = data_objections(&state)
        .await?
        .into_iter()
        .map(|o| DataObjectionRow {
            id: o.id,
            uscc: o.uscc,
            field: o.field,
            message: o.message,
            raised_by: o.raised_by,
            at: format::beijing(o.raised_at),
        })
        .collect();
    Ok(ObjectionsPage {
        chrome: Chrome::new("异议处理", Some(&current)),
        objections,
        data,
        done: match q.done.as_str() {
            "upheld" => "异议成立：该补贴已驳回。",
            "dismissed" => "异议不成立：该补贴继续办理。",
            "answered" => "数据异议已答复。",
            _ => "",
        }
        .to_owned(),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct AnswerForm {
    #[serde(default)]
    outcome: String,
    answer: String,
}

async fn answer_publicity_objection(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<AnswerForm>,
) -> Result<Redirect, ApiError> {
    let uphold = match form.outcome.as_str() {
        "uphold" => true,
        "dismiss" => false,
        other => {
            return Err(ApiError::BadRequest(format!(
                "处理结论“{other}”无效：请选择异议成立或不成立"
            )));
        }
    };
    let actor = Actor::user(&current.user);
    publicity::answer_objection(&state.pool, id, &actor, uphold, &form.answer).await?;
    let done = if uphold { "upheld" } else { "dismissed" };
    Ok(Redirect::to(&format!("/review/objections?done={done}")))
}

async fn answer_data(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<AnswerForm>,
) -> Result<Redirect, ApiError> {
    answer_data_objection(&state, &current.user.username, id, &form.answer).await?;
    Ok(Redirect::to("/review/objections?done=answered"))
}

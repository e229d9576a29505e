//! The public 公示 page (`/gongshi`, no sign-in): each policy's grants in their public-notice
//! window with the firm's name masked (`青岛万嘉****有限公司`) and the amount, the window's
//! dates, and how to object before it ends.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::chrome::Chrome;
use super::format;
use crate::edge::auth::CurrentUser;
use crate::edge::{ApiError, AppState};
use crate::grants::publicity;

/// The public pages.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/gongshi", get(page))
}

/// Most grants listed per policy.
const SHOWN: i64 = 1_000;

/// One grant of a list.
#[derive(Debug, Clone)]
pub struct Entry {
    pub grant_id: i64,
    pub firm: String,
    pub amount: String,
    pub ends_at: String,
    pub state: &'static str,
}

/// One policy's list.
#[derive(Debug, Clone)]
pub struct PolicyList {
    pub policy_id: String,
    pub title: String,
    pub issuer: String,
    pub grants: i64,
    pub total: String,
    pub starts: String,
    pub ends: String,
    pub entries: Vec<Entry>,
}

#[derive(Template, WebTemplate)]
#[template(path = "gongshi.html")]
pub(super) struct GongshiPage {
    chrome: Chrome,
    policies: Vec<PolicyList>,
    shown: i64,
}

async fn page(
    State(state): State<AppState>,
    current: Option<CurrentUser>,
) -> Result<GongshiPage, ApiError> {
    let mut policies = Vec::new();
    for p in publicity::policies_in_publicity(&state.pool).await? {
        let entries = publicity::public_list(&state.pool, &p.policy_id, 0, SHOWN)
            .await?
            .into_iter()
            .map(|e| Entry {
                grant_id: e.grant_id,
                firm: e.firm,
                amount: format::yuan(e.amount),
                ends_at: format::beijing(e.ends_at),
                state: e.state,
            })
            .collect();
        policies.push(PolicyList {
            policy_id: p.policy_id,
            title: p.title,
            issuer: p.issuer,
            grants: p.grants,
            total: format::yuan(p.total),
            starts: format::beijing(p.starts_at),
            ends: format::beijing(p.ends_at),
            entries,
        });
    }
    Ok(GongshiPage {
        chrome: Chrome::new("补贴公示", current.as_ref()),
        policies,
        shown: SHOWN,
    })
}

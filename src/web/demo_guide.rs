//! `/demo`: the page the demo opens on — each demo account with its role, what it does
//! and a sign-in link straight into its workspace. Served only by `mianshen demo` (404
//! anywhere else).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::chrome::{Chrome, workspace};
use super::errors::sign_in_link;
use crate::accounts::Role;
use crate::edge::auth::CurrentUser;
use crate::edge::{ApiError, AppState};

/// The demo guide.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/demo", get(page))
}

/// One account as the guide lists it.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub role: &'static str,
    pub username: String,
    pub name: String,
    pub does: &'static str,
    pub sign_in: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "demo.html")]
pub(super) struct DemoPage {
    chrome: Chrome,
    password: String,
    accounts: Vec<AccountRow>,
}

/// What each role does in the demo.
fn does(role: Role) -> &'static str {
    match role {
        Role::Enterprise => "查看通知与补贴，确认领取（填写收款账户）、放弃或提出异议，查看档案",
        Role::PolicyAuthor => "查看政策版本与规则，试算草稿涉及的企业数与资金",
        Role::Reviewer => "发布他人提交的版本，批量审核补贴，处理公示异议与数据异议",
        Role::FinanceMaker => "按政策、金额、日期筛选待拨付补贴，编制拨付批次",
        Role::FinanceChecker => "审批或驳回他人编制的批次，查看预算、支付指令与对账异常",
        Role::Auditor => "查询审计日志，验证审计链完整性",
        Role::Admin => "管理账号：解锁、停用与启用",
    }
}

async fn page(
    State(state): State<AppState>,
    current: Option<CurrentUser>,
) -> Result<DemoPage, ApiError> {
    let guide = state
        .settings
        .demo
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("仅演示环境提供此页面".to_owned()))?;
    let accounts = guide
        .accounts
        .iter()
        .map(|a| {
            // Straight into the role's first workspace page after signing in.
            let target = workspace(a.role)
                .iter()
                .find(|l| l.href != "/")
                .map_or("/", |l| l.href);
            AccountRow {
                role: a.role.label(),
                username: a.username.clone(),
                name: a.display_name.clone(),
                does: does(a.role),
                sign_in: sign_in_link(target),
            }
        })
        .collect();
    Ok(DemoPage {
        chrome: Chrome::new("演示账号", current.as_ref()),
        password: guide.password.clone(),
        accounts,
    })
}

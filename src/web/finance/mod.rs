//! The finance workspace (`/finance`, 财政): ready grants to build a batch from (maker),
//! batches to approve or reject (checker, never one's own), budgets per policy with a
//! chart, payments and their states, reconciliation exceptions to resolve, and a batch's
//! filing list as `.xlsx` or `.csv`. Every step calls the same domain functions as the
//! API; the forms that move money carry an `Idempotency-Key` of their own (a new one per
//! rendered form), checked exactly as the API checks the header.

mod batches;
mod labels;
mod overview;
mod payments;

use axum::Router;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::edge::AppState;

/// The finance pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/finance", get(overview::page))
        .route("/finance/ready", get(batches::ready_page))
        .route(
            "/finance/batches",
            get(batches::list_page).post(batches::build),
        )
        .route("/finance/batches/{id}", get(batches::batch_page))
        .route("/finance/batches/{id}/approve", post(batches::approve))
        .route("/finance/batches/{id}/reject", post(batches::reject))
        .route("/finance/batches/{id}/void", post(batches::void))
        .route("/finance/batches/{id}/export", get(batches::export))
        .route("/finance/payments", get(payments::payments_page))
        .route("/finance/exceptions", get(payments::exceptions_page))
        .route("/finance/exceptions/{id}/resolve", post(payments::resolve))
}

/// A new `Idempotency-Key` for one rendered form that moves money.
fn form_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What a form's answer says happened (`?done=`), shown once on the page it lands on.
#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
}

impl Done {
    fn message(&self) -> Option<&'static str> {
        Some(match self.done.as_deref()? {
            "created" => "批次已编制，等待财务复核人员审批。",
            "approved" => "批次已审批通过：预算已预留，支付指令已生成，将提交国库。",
            "rejected" => "批次已驳回，其中的补贴回到待拨付状态。",
            "voided" => "批次已作废，其中的补贴回到待拨付状态。",
            "replayed" => "该表单已提交过，未重复办理；以下为首次提交的结果。",
            "resolved" => "对账异常已处理。",
            _ => return None,
        })
    }
}

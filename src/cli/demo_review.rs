//! The demo's road to "ready": most sandbox firms with grants give a payee account (a few
//! do not, so their grants wait and they are reminded), the demo reviewer approves every
//! 免申即享 grant, 公示 runs for a few seconds instead of the policy's days (the demo says
//! so), one grant gets an objection left open for the reviewer to answer, and the 公示 job
//! moves the rest on. A rerun finds the work done and changes nothing.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;

use crate::accounts::find_user_by_username;
use crate::grants::payee::{PayeeInput, set_payee_account};
use crate::grants::publicity::{close_windows, object};
use crate::grants::review::{Decision, MAX_REVIEW, Window, review};
use crate::grants::steps::Actor;
use crate::grants::{automatic_awaiting_review, firms_without_account};

/// The demo's 公示 window, in seconds.
pub const DEMO_PUBLICITY_SECS: u32 = 3;
/// Every `NO_ACCOUNT_EVERY`-th firm gives no payee account.
const NO_ACCOUNT_EVERY: usize = 5;

/// Runs the demo's review and 公示 and prints what happened.
pub async fn run(pool: &PgPool) -> anyhow::Result<()> {
    let firms = firms_without_account(pool).await?;
    let mut accounts = 0;
    for (n, (uscc, name)) in firms.iter().enumerate() {
        if n % NO_ACCOUNT_EVERY == NO_ACCOUNT_EVERY - 1 {
            continue;
        }
        let digits: String = uscc.bytes().map(|b| char::from(b'0' + b % 10)).collect();
        let input = PayeeInput {
            account_name: name.clone(),
            account_number: format!("6222{}", &digits[..14]),
            bank: "中国工商银行济南分行".to_owned(),
        };
        set_payee_account(pool, uscc, &input, &Actor::System("demo"))
            .await
            .with_context(|| format!("演示收款账户 {uscc}"))?;
        accounts += 1;
    }
    let reviewer = find_user_by_username(pool, "demo-reviewer")
        .await?
        .context("演示审核账号 demo-reviewer 不存在")?;
    let reviewer = Actor::user(&reviewer);
    let ids = automatic_awaiting_review(pool).await?;
    let mut in_publicity = 0;
    for chunk in ids.chunks(MAX_REVIEW) {
        let window = Window::Seconds(DEMO_PUBLICITY_SECS);
        let done = review(
            pool,
            chunk,
            Decision::Approve,
            &reviewer,
            "演示：材料齐全，审核通过",
            window,
        )
        .await?;
        in_publicity += done.publicity;
    }
    println!(
        "审核: {} 家企业提供了收款账户; demo-reviewer 审核通过 {} 项免申即享补贴, 进入公示",
        accounts, in_publicity
    );
    if let Some(first) = ids.first() {
        object(
            pool,
            *first,
            &reviewer,
            "演示：收到一条公示异议（来电反映），待审核人员处理",
        )
        .await?;
        println!(
            "公示异议: 补贴 {first} 收到一条异议, 请以 demo-reviewer 处理 (GET /api/v1/review/publicity-objections)"
        );
    }
    if !ids.is_empty() {
        println!(
            "公示期: 演示缩短为 {DEMO_PUBLICITY_SECS} 秒 (正式运行按各政策 notice_days 天计) ..."
        );
        tokio::time::sleep(Duration::from_secs(u64::from(DEMO_PUBLICITY_SECS))).await;
    }
    let settled = close_windows(pool).await?;
    println!(
        "公示期满: {} 项待拨付, {} 项待补充收款账户 (已提醒企业)",
        settled.ready, settled.awaiting_account
    );
    Ok(())
}

//! `mianshen review …`: a reviewer approves or rejects grants, answers 公示 objections, and
//! runs the 公示 job (ended windows move on to payment) on demand.

use std::process::ExitCode;

use clap::Subcommand;

use crate::accounts::find_user_by_username;
use crate::config::Settings;
use crate::db::Database;
use crate::grants::publicity;
use crate::grants::review::{self, Decision, ReviewError, Window};
use crate::grants::steps::{Actor, StepError};

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Approve grants IDS as reviewer --as: each starts its 公示 window.
    Approve {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        #[arg(long = "as", value_name = "USER")]
        reviewer: String,
        #[arg(long)]
        reason: String,
    },
    /// Reject grants IDS as reviewer --as.
    Reject {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        #[arg(long = "as", value_name = "USER")]
        reviewer: String,
        #[arg(long)]
        reason: String,
    },
    /// List open 公示 objections.
    Objections,
    /// Answer objection ID as reviewer --as: dismiss it (the grant goes on) or --uphold it
    /// (the grant is rejected).
    Answer {
        id: i64,
        #[arg(long = "as", value_name = "USER")]
        reviewer: String,
        #[arg(long)]
        uphold: bool,
        #[arg(long)]
        answer: String,
    },
    /// Move grants whose 公示 window has ended to ready (or awaiting_account).
    CloseWindows,
}

/// Runs a `review` subcommand.
pub async fn run(settings: Settings, command: ReviewCommand) -> anyhow::Result<ExitCode> {
    let database = Database::open(&settings.database).await?;
    let pool = &database.pool;
    let result = match command {
        ReviewCommand::Approve {
            ids,
            reviewer,
            reason,
        } => decide(pool, &ids, Decision::Approve, &reviewer, &reason).await,
        ReviewCommand::Reject {
            ids,
            reviewer,
            reason,
        } => decide(pool, &ids, Decision::Reject, &reviewer, &reason).await,
        ReviewCommand::Objections => {
            for o in crate::grants::list_objections(pool, false, 0, i64::MAX).await? {
                println!(
                    "{}\t补贴 {}\t{}\t{}\t{}",
                    o.id, o.grant_id, o.policy_id, o.raised_by, o.message
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ReviewCommand::Answer {
            id,
            reviewer,
            uphold,
            answer,
        } => {
            let actor = actor(pool, &reviewer).await?;
            match publicity::answer_objection(pool, id, &actor, uphold, &answer).await {
                Ok(status) => {
                    println!("异议 {id} 已处理，补贴现为“{}”", status.label());
                    Ok(ExitCode::SUCCESS)
                }
                Err(publicity::ObjectionError::Db(e)) => Err(e.into()),
                Err(e) => refused(&e),
            }
        }
        ReviewCommand::CloseWindows => {
            let done = publicity::close_windows(pool).await?;
            println!(
                "公示期满：{} 项待拨付，{} 项待补充收款账户",
                done.ready, done.awaiting_account
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    database.close().await;
    result
}

async fn decide(
    pool: &sqlx::PgPool,
    ids: &[i64],
    decision: Decision,
    reviewer: &str,
    reason: &str,
) -> anyhow::Result<ExitCode> {
    let actor = actor(pool, reviewer).await?;
    match review::review(pool, ids, decision, &actor, reason, Window::PolicyDays).await {
        Ok(o) => {
            println!(
                "公示 {}，待拨付 {}，待补充收款账户 {}，驳回 {}",
                o.publicity, o.ready, o.awaiting_account, o.rejected
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ReviewError::Db(e) | ReviewError::Step(StepError::Db(e))) => Err(e.into()),
        Err(e) => refused(&e),
    }
}

fn refused(e: &dyn std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("mianshen review: {e}");
    Ok(ExitCode::from(1))
}

async fn actor(pool: &sqlx::PgPool, username: &str) -> anyhow::Result<Actor> {
    let user = find_user_by_username(pool, username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("账号 {username} 不存在"))?;
    Ok(Actor::user(&user))
}

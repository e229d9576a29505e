//! `mianshen policy …`: record the rule folders as versions (drafts), list them, publish a
//! draft as a reviewer who is not its author, retire a published version.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::accounts::{Role, find_user_by_username};
use crate::config::Settings;
use crate::db::Database;
use crate::policies;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Record every policy folder of DIR as a version (a draft) authored by --as.
    Load {
        #[arg(long, default_value = "rules", value_name = "DIR")]
        rules: PathBuf,
        /// The policy_author account submitting the versions.
        #[arg(long = "as", value_name = "USER")]
        author: String,
    },
    /// List every version.
    List,
    /// Publish draft ID as reviewer --as (never its author).
    Publish {
        id: i64,
        #[arg(long = "as", value_name = "USER")]
        reviewer: String,
    },
    /// Retire published version ID.
    Retire {
        id: i64,
        #[arg(long = "as", value_name = "USER")]
        reviewer: String,
    },
}

/// Runs a `policy` subcommand.
pub async fn run(settings: Settings, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let database = Database::open(&settings.database).await?;
    let pool = &database.pool;
    let result = match command {
        PolicyCommand::Load { rules, author } => {
            require_role(pool, &author, Role::PolicyAuthor).await?;
            for (id, policy, new) in policies::load_versions(pool, &rules, &author).await? {
                let what = if new { "新草稿" } else { "已存在" };
                println!("{id}\t{policy}\t{what}");
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::List => {
            for v in policies::list_versions(pool).await? {
                println!(
                    "{}\t{}\t{}\t{}\tauthor={}\tpublished_by={}",
                    v.id,
                    v.policy_id,
                    &v.version_hash[..12.min(v.version_hash.len())],
                    v.status,
                    v.author,
                    v.published_by.as_deref().unwrap_or("-")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Publish { id, reviewer } => {
            require_role(pool, &reviewer, Role::Reviewer).await?;
            match policies::publish(pool, id, &reviewer).await {
                Ok(v) => {
                    println!("已发布 {} 版本 {}", v.policy_id, v.id);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refuse(e),
            }
        }
        PolicyCommand::Retire { id, reviewer } => {
            require_role(pool, &reviewer, Role::Reviewer).await?;
            match policies::retire(pool, id, &reviewer).await {
                Ok(()) => {
                    println!("已停用版本 {id}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refuse(e),
            }
        }
    };
    database.close().await;
    result
}

fn refuse(e: policies::PublishError) -> anyhow::Result<ExitCode> {
    match e {
        policies::PublishError::Db(e) => Err(e.into()),
        other => {
            eprintln!("mianshen policy: {other}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn require_role(pool: &sqlx::PgPool, username: &str, role: Role) -> anyhow::Result<()> {
    let user = find_user_by_username(pool, username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("账号 {username} 不存在"))?;
    anyhow::ensure!(
        user.role == role || user.role == Role::Admin,
        "账号 {username} 的角色不是 {role}"
    );
    Ok(())
}

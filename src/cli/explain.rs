//! `mianshen explain --uscc … --policy …`: replays the stored decision of a firm for a policy
//! with the same rule version, profile snapshot and date, and says whether it is identical.

use std::process::ExitCode;

use crate::config::Settings;
use crate::db::Database;
use crate::matching::replay;

/// Options of `mianshen explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The firm's 统一社会信用代码.
    #[arg(long)]
    pub uscc: String,
    /// The policy id, e.g. jn-2026-above-scale-reward.
    #[arg(long)]
    pub policy: String,
}

/// Prints the replay as JSON; exit 1 when it differs from what was stored, 2 when none.
pub async fn run(settings: Settings, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let database = Database::open(&settings.database).await?;
    let result = replay(&database.pool, &args.uscc, &args.policy).await;
    database.close().await;
    let Some(r) = result? else {
        eprintln!("没有企业 {} 在政策 {} 下的判定记录", args.uscc, args.policy);
        return Ok(ExitCode::from(2));
    };
    println!("{}", serde_json::to_string_pretty(&r)?);
    if !r.explained {
        // Only outcomes that are read keep their reasons; this one is explained by the replay.
        eprintln!("存储的判定未保存解释 (非符合、非出错、非尚差一项): 以上依据为重放所得");
    }
    if r.identical {
        eprintln!("重放结果与存储的判定一致");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("重放结果与存储的判定不一致");
        Ok(ExitCode::from(1))
    }
}

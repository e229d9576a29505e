//! A fresh database with the sample policies, two firms and one account of each role that
//! can move a grant, and grants inserted as matching would create them.
#![allow(dead_code, clippy::unwrap_used)]

use mianshen::accounts::{self, NewUser, Role, User};
use mianshen::audit;
use mianshen::db::{self, MIGRATOR, TestDatabase};
use mianshen::firms;
use mianshen::grants::steps::Actor;
use mianshen::profiles::Uscc;
use sqlx::PgPool;

/// Two valid Shandong USCCs.
pub const FIRM_A: &str = "91370102MA3C4RQX2B";
pub const FIRM_B: &str = "91370212MA3M8FKL6L";
pub const NAME_A: &str = "青岛万嘉电子科技有限公司";
pub const NAME_B: &str = "济南乙工贸有限公司";

pub struct World {
    /// The owner's pool (may do what the service may not).
    pub db: TestDatabase,
    /// The service's pool (the application role).
    pub app_pool: PgPool,
    /// A published policy version every grant here belongs to.
    pub version: i64,
    pub policy_id: String,
    pub enterprise_a: User,
    pub enterprise_b: User,
    pub reviewer: User,
    pub reviewer_2: User,
    pub maker: User,
    pub checker: User,
    pub auditor: User,
    pub admin: User,
}

pub async fn world() -> World {
    let db = db::fresh_database(&MIGRATOR).await.unwrap();
    let app_pool = db::app_pool(db.url(), 8).await.unwrap();
    for (uscc, name) in [(FIRM_A, NAME_A), (FIRM_B, NAME_B)] {
        firms::upsert_firm(&app_pool, &Uscc::parse(uscc).unwrap(), name, Some("370102"))
            .await
            .unwrap();
    }
    mianshen::policies::load_versions(&app_pool, std::path::Path::new("rules"), "alice")
        .await
        .unwrap();
    let (version, policy_id): (i64, String) =
        sqlx::query_as("SELECT id, policy_id FROM policy_versions ORDER BY id LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let user = |name: &'static str, role: Role, uscc: Option<&'static str>| {
        let pool = app_pool.clone();
        async move {
            let new = NewUser::parse(name, name, role, uscc, "test-password-123").unwrap();
            accounts::create_user_audited(&pool, &new, audit::Actor::System("test"))
                .await
                .unwrap()
        }
    };
    World {
        enterprise_a: user("firm-a", Role::Enterprise, Some(FIRM_A)).await,
        enterprise_b: user("firm-b", Role::Enterprise, Some(FIRM_B)).await,
        reviewer: user("reviewer", Role::Reviewer, None).await,
        reviewer_2: user("reviewer-2", Role::Reviewer, None).await,
        maker: user("maker", Role::FinanceMaker, None).await,
        checker: user("checker", Role::FinanceChecker, None).await,
        auditor: user("auditor", Role::Auditor, None).await,
        admin: user("admin", Role::Admin, None).await,
        db,
        app_pool,
        version,
        policy_id,
    }
}

impl World {
    /// Inserts one `created` grant per (firm, amount), of `mode`; returns their ids in order.
    pub async fn grants(&self, mode: &str, grants: &[(&str, &str)]) -> Vec<i64> {
        let usccs: Vec<&str> = grants.iter().map(|g| g.0).collect();
        let amounts: Vec<&str> = grants.iter().map(|g| g.1).collect();
        sqlx::query_scalar(
            "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
             SELECT $1, $2, t.u, 'k-' || gen_random_uuid(), t.a::numeric, $3, 0, 0
             FROM UNNEST($4::text[], $5::text[]) WITH ORDINALITY AS t(u, a, n) ORDER BY t.n
             RETURNING id",
        )
        .bind(&self.policy_id)
        .bind(self.version)
        .bind(mode)
        .bind(&usccs)
        .bind(&amounts)
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }

    /// The status of each grant, in the order of `ids`.
    pub async fn statuses(&self, ids: &[i64]) -> Vec<String> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, status FROM grants WHERE id = ANY($1)")
                .bind(ids)
                .fetch_all(&self.db.pool)
                .await
                .unwrap();
        ids.iter()
            .map(|id| rows.iter().find(|r| r.0 == *id).unwrap().1.clone())
            .collect()
    }

    pub fn actor(&self, user: &User) -> Actor {
        Actor::user(user)
    }
}

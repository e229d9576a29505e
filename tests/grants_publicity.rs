//! Review and 公示 against real PostgreSQL: the window is counted from the review (policy
//! days, or seconds), a zero-day window goes straight on, objections are answered
//! (upheld: rejected; dismissed after the window: on to payment), and the 公示 job run by
//! several instances at once moves each grant exactly once.
#![allow(clippy::unwrap_used)]

mod grants_support;

use chrono::{DateTime, Utc};
use grants_support::{FIRM_A, FIRM_B, NAME_A, World, world};
use mianshen::grants::payee::{PayeeInput, set_payee_account};
use mianshen::grants::publicity::{answer_objection, close_windows, object};
use mianshen::grants::review::{Decision, Window, review};
use mianshen::grants::steps::{Actor, GrantStatus};

async fn give_account(w: &World) {
    let input = PayeeInput {
        account_name: NAME_A.to_owned(),
        account_number: "62220212345678".to_owned(),
        bank: "工商银行".to_owned(),
    };
    set_payee_account(&w.app_pool, FIRM_A, &input, &Actor::user(&w.enterprise_a))
        .await
        .unwrap();
}

async fn window(w: &World, id: i64) -> (DateTime<Utc>, DateTime<Utc>, i32) {
    sqlx::query_as(
        "SELECT g.reviewed_at, g.publicity_ends_at, (v.meta->>'notice_days')::int
         FROM grants g JOIN policy_versions v ON v.id = g.policy_version_id WHERE g.id = $1",
    )
    .bind(id)
    .fetch_one(&w.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_window_is_the_policys_days_from_the_review_and_zero_goes_straight_on() {
    let w = world().await;
    give_account(&w).await;
    let reviewer = Actor::user(&w.reviewer);
    let ids = w
        .grants("免申即享", &[(FIRM_A, "10.00"), (FIRM_B, "20.00")])
        .await;

    let outcome = review(
        &w.app_pool,
        &ids[..1],
        Decision::Approve,
        &reviewer,
        "通过",
        Window::PolicyDays,
    )
    .await
    .unwrap();
    assert_eq!(outcome.publicity, 1);
    let (reviewed_at, ends_at, days) = window(&w, ids[0]).await;
    assert!(days > 0);
    assert_eq!(ends_at - reviewed_at, chrono::Duration::days(days.into()));
    // Nothing ended yet: the job moves nothing.
    assert_eq!(close_windows(&w.app_pool).await.unwrap().ready, 0);

    // A zero-length window: ready (firm A has an account) or awaiting one (firm B).
    let both = w
        .grants("免申即享", &[(FIRM_A, "1.00"), (FIRM_B, "2.00")])
        .await;
    let outcome = review(
        &w.app_pool,
        &both,
        Decision::Approve,
        &reviewer,
        "通过",
        Window::Seconds(0),
    )
    .await
    .unwrap();
    assert_eq!((outcome.ready, outcome.awaiting_account), (1, 1));
    assert_eq!(w.statuses(&both).await, ["ready", "awaiting_account"]);
    let reviewed_by: Option<i64> =
        sqlx::query_scalar("SELECT reviewed_by FROM grants WHERE id = $1")
            .bind(both[0])
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(reviewed_by, Some(w.reviewer.id));
}

#[tokio::test]
async fn objections_hold_a_grant_until_a_reviewer_answers_them() {
    let w = world().await;
    give_account(&w).await;
    let reviewer = Actor::user(&w.reviewer);
    let ids = w
        .grants("免申即享", &[(FIRM_A, "10.00"), (FIRM_A, "20.00")])
        .await;
    let approve = review(
        &w.app_pool,
        &ids,
        Decision::Approve,
        &reviewer,
        "通过",
        Window::Seconds(3600),
    );
    approve.await.unwrap();
    let firm = Actor::user(&w.enterprise_a);
    let upheld = object(&w.app_pool, ids[0], &firm, "本企业不应享受")
        .await
        .unwrap();
    let dismissed = object(&w.app_pool, ids[1], &reviewer, "来电反映金额有误")
        .await
        .unwrap();
    // A second objection to a disputed grant is refused.
    assert!(
        object(&w.app_pool, ids[1], &firm, "再次异议")
            .await
            .is_err()
    );
    // The window ends while the objections are open: the job leaves disputed grants alone.
    sqlx::query("UPDATE grants SET publicity_ends_at = now() WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(close_windows(&w.app_pool).await.unwrap().ready, 0);
    assert_eq!(w.statuses(&ids).await, ["disputed", "disputed"]);

    // Only a reviewer answers.
    assert!(
        answer_objection(&w.app_pool, upheld, &firm, true, "成立")
            .await
            .is_err()
    );
    let to = answer_objection(&w.app_pool, upheld, &reviewer, true, "异议成立")
        .await
        .unwrap();
    assert_eq!(to, GrantStatus::Rejected);
    let to = answer_objection(&w.app_pool, dismissed, &reviewer, false, "经核实无误")
        .await
        .unwrap();
    assert_eq!(to, GrantStatus::Ready);
    assert_eq!(w.statuses(&ids).await, ["rejected", "ready"]);
    // Answered once only; a ready grant is out of its window.
    assert!(
        answer_objection(&w.app_pool, dismissed, &reviewer, true, "改判")
            .await
            .is_err()
    );
    assert!(object(&w.app_pool, ids[1], &firm, "x").await.is_err());
}

#[tokio::test]
async fn several_publicity_jobs_at_once_move_each_grant_once() {
    let w = world().await;
    give_account(&w).await;
    let reviewer = Actor::user(&w.reviewer);
    let ids = w.grants("免申即享", &[(FIRM_A, "1.00"); 12_000]).await;
    for chunk in ids.chunks(6_000) {
        let approve = review(
            &w.app_pool,
            chunk,
            Decision::Approve,
            &reviewer,
            "通过",
            Window::Seconds(3600),
        );
        approve.await.unwrap();
    }
    sqlx::query("UPDATE grants SET publicity_ends_at = now() WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let jobs: Vec<_> = (0..4)
        .map(|_| {
            let pool = w.app_pool.clone();
            tokio::spawn(async move { close_windows(&pool).await })
        })
        .collect();
    let mut ready = 0;
    for job in jobs {
        ready += job.await.unwrap().unwrap().ready;
    }
    assert_eq!(ready, 12_000);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'grant.step' AND after->>'status' = 'ready'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 12_000);
}

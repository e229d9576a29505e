//! When the money does not arrive: a payment the bank bounces goes back to the firm, which
//! is reminded through its notice channels each time (one reminder per returned
//! instruction), corrects its account and is paid by a new instruction, and sees every
//! step on its grant's page; an instruction the treasury refuses for good leaves `pending`
//! for the finance exception queue with the treasury's reason, its reservation released in
//! the budget and the ledger alike.
#![allow(clippy::unwrap_used)]

mod disbursement_support;

use std::process::Command;

use chrono::{DateTime, Utc};
use disbursement_support::{
    POLICY, World, YEAR, behaviour, send_until_settled, spawn_service, spawn_treasury, token,
};
use mianshen::accounts::{self, NewUser, Role, User};
use mianshen::disbursement::{budgets, reconciliation, sending};
use mianshen::grants::payee::{PayeeInput, set_payee_account};
use mianshen::grants::steps::{self, Actor as StepActor, GrantStatus};
use mianshen::sandbox::treasury::{FaultOrder, TreasuryBehaviour};
use mianshen::treasury::PaymentInstruction;
use rust_decimal_macros::dec;

/// A real USCC (the enterprise account's is checked).
const USCC: &str = "91370102MA3C4RQX2B";
const NAME: &str = "济南历下示范科技有限公司";

fn verify(world: &World) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(["ledger", "verify"])
        .env("DATABASE_URL", world.db.url())
        .env("MIANSHEN_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), text)
}

/// The firm, its enterprise account, and one 免申即享 grant of 500.00 that went through
/// review and 公示 to `ready` (the firm gave its account first).
async fn firm_with_ready_grant(world: &World) -> (User, i64) {
    sqlx::query("INSERT INTO firms (uscc, name) VALUES ($1, $2)")
        .bind(USCC)
        .bind(NAME)
        .execute(&world.db.pool)
        .await
        .unwrap();
    let new = NewUser::parse(
        "firm-a",
        "firm-a",
        Role::Enterprise,
        Some(USCC),
        disbursement_support::PASSWORD,
    )
    .unwrap();
    let firm =
        accounts::create_user_audited(&world.pool, &new, mianshen::audit::Actor::System("test"))
            .await
            .unwrap();
    set_account(world, &firm, "62220202000000001").await;
    let grant: i64 = sqlx::query_scalar(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
         VALUES ($1, (SELECT id FROM policy_versions WHERE policy_id = $1), $2, '2026', 500.00, '免申即享', 0, 0)
         RETURNING id",
    )
    .bind(POLICY)
    .bind(USCC)
    .fetch_one(&world.db.pool)
    .await
    .unwrap();
    let mut tx = world.pool.begin().await.unwrap();
    let system = StepActor::System("test");
    let road = [
        (
            GrantStatus::Created,
            GrantStatus::Reviewed,
            StepActor::user(&world.reviewer),
        ),
        (
            GrantStatus::Reviewed,
            GrantStatus::Publicity,
            system.clone(),
        ),
        (GrantStatus::Publicity, GrantStatus::Ready, system),
    ];
    for (from, to, actor) in road {
        steps::advance(&mut tx, &[grant], from, to, &actor, "测试")
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    (firm, grant)
}

async fn set_account(world: &World, firm: &User, number: &str) {
    let input = PayeeInput {
        account_name: NAME.to_owned(),
        account_number: number.to_owned(),
        bank: "中国工商银行济南分行".to_owned(),
    };
    set_payee_account(&world.pool, USCC, &input, &StepActor::user(firm))
        .await
        .unwrap();
}

/// The grant's account reminders as (occasion, deliveries), oldest first.
async fn reminders(world: &World, grant: i64) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT n.occasion, (SELECT count(*) FROM notice_deliveries d WHERE d.notice_id = n.id)
         FROM notices n WHERE n.grant_id = $1 AND n.kind = 'account_reminder' ORDER BY n.id",
    )
    .bind(grant)
    .fetch_all(&world.db.pool)
    .await
    .unwrap()
}

/// Batches, approves and settles the grant's payment at `treasury`; returns the instruction.
async fn pay(world: &World, grant: i64, treasury: &disbursement_support::Treasury) -> String {
    let batch = world.batch(POLICY, &[grant]).await;
    world.approve(batch).await.unwrap();
    send_until_settled(world, treasury).await;
    sqlx::query_scalar("SELECT id FROM payment_instructions WHERE batch_id = $1")
        .bind(batch)
        .fetch_one(&world.db.pool)
        .await
        .unwrap()
}

fn bouncing() -> TreasuryBehaviour {
    TreasuryBehaviour {
        return_permille: 1000,
        ..behaviour()
    }
}

fn paying() -> TreasuryBehaviour {
    TreasuryBehaviour {
        return_permille: 0,
        ..behaviour()
    }
}

#[tokio::test]
async fn a_bounced_payment_reminds_the_firm_each_time_and_is_paid_by_a_new_instruction() {
    // Arrange: a ready grant; a treasury whose bank bounces everything, one that pays.
    let world = World::new().await;
    let (firm, grant) = firm_with_ready_grant(&world).await;
    let bounces = spawn_treasury(bouncing()).await;
    let pays = spawn_treasury(paying()).await;

    // Act + Assert: the first payment bounces; the grant is back with the firm, reminded.
    let first = pay(&world, grant, &bounces).await;
    assert_eq!(world.statuses(&[grant]).await, ["awaiting_account"]);
    let told = reminders(&world, grant).await;
    assert_eq!(told.len(), 1, "reminded after the first return: {told:?}");
    assert_eq!(told[0].0, first);
    assert!(told[0].1 >= 1, "through its channels (the inbox at least)");
    let body: String =
        sqlx::query_scalar("SELECT body FROM notices WHERE grant_id = $1 AND occasion = $2")
            .bind(grant)
            .bind(&first)
            .fetch_one(&world.db.pool)
            .await
            .unwrap();
    assert!(
        body.contains(&first) && body.contains("更正收款账户"),
        "{body}"
    );

    // It corrects its account; the second payment bounces too: it is reminded again.
    set_account(&world, &firm, "62220202000000002").await;
    assert_eq!(world.statuses(&[grant]).await, ["ready"]);
    let second = pay(&world, grant, &bounces).await;
    assert_ne!(second, first, "a new instruction");
    let told = reminders(&world, grant).await;
    assert_eq!(
        told.iter().map(|(o, _)| o.as_str()).collect::<Vec<_>>(),
        [first.as_str(), second.as_str()],
        "one reminder per return"
    );

    // The third account is right: a NEW instruction pays it, once.
    set_account(&world, &firm, "62220202000000003").await;
    let third = pay(&world, grant, &pays).await;
    assert!(third != first && third != second);
    assert_eq!(world.statuses(&[grant]).await, ["paid"]);
    let statuses: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, status FROM payment_instructions WHERE grant_id = $1 ORDER BY created_at, id",
    )
    .bind(grant)
    .fetch_all(&world.db.pool)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        [
            (first.clone(), "returned".to_owned()),
            (second.clone(), "returned".to_owned()),
            (third.clone(), "paid".to_owned()),
        ]
    );
    assert!(
        pays.admin
            .payments()
            .await
            .unwrap()
            .paid_more_than_once()
            .is_empty()
    );
    let budget = budgets::get(&world.pool, POLICY, YEAR)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((budget.reserved, budget.spent), (dec!(0), dec!(500.00)));
    let (ok, text) = verify(&world);
    assert!(ok, "{text}");

    // The firm's page shows the money's road, in Chinese and Beijing time, up to paid.
    let service = spawn_service(&world, &pays.base).await;
    let bearer = token(&world, &firm).await;
    let page = reqwest::Client::new()
        .get(format!("{}/my/grants/{grant}", service.address))
        .bearer_auth(&bearer)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let timeline = &html[html.find("办理进度").unwrap()..];
    let road = [
        "业务部门审核通过",
        "进入公示",
        "待财政拨付",
        "已编入拨付批次",
        "拨付批次已审批",
        "支付指令已提交国库",
        "支付被退回",
        "待补充收款账户",
        "资金已到账",
        "国库对账",
    ];
    let mut from = 0;
    for step in road {
        let at = timeline[from..]
            .find(step)
            .unwrap_or_else(|| panic!("{step} missing (in order) from {timeline}"));
        from += at + step.len();
    }
    assert_eq!(timeline.matches("支付被退回").count(), 2, "both returns");
    let paid_at: DateTime<Utc> = sqlx::query_scalar(
        "SELECT occurred_at FROM audit_events WHERE action = 'grant.step'
           AND entity_id = ($1::bigint)::text AND after->>'status' = 'paid'",
    )
    .bind(grant)
    .fetch_one(&world.db.pool)
    .await
    .unwrap();
    let beijing = paid_at
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let paid_line = &timeline[timeline.find("资金已到账").unwrap()..];
    assert!(
        paid_line[..paid_line.find("</li>").unwrap()].contains(&beijing),
        "paid at {beijing} Beijing time: {paid_line}"
    );
}

#[tokio::test]
async fn an_instruction_the_treasury_refuses_goes_to_the_exception_queue_and_frees_its_money() {
    // Arrange: three approved grants; the treasury will refuse the next submission,
    // naming its first instruction.
    let world = World::new().await;
    let grants = world.ready_grants(POLICY, 3, dec!(100.00)).await;
    let batch = world.batch(POLICY, &grants).await;
    world.approve(batch).await.unwrap();
    let treasury = spawn_treasury(paying()).await;
    treasury
        .admin
        .faults(FaultOrder {
            refusals: 1,
            ..FaultOrder::default()
        })
        .await
        .unwrap();

    // Act: one sending run.
    let report = sending::send_pending(&world.pool, &treasury.client, 1000)
        .await
        .unwrap();

    // Assert: the refused one left pending, the others went on in the same run.
    assert_eq!(report.stopped, None);
    assert_eq!((report.applied.refused, report.applied.sent), (1, 2));
    let (refused, grant, reason): (String, i64, String) = sqlx::query_as(
        "SELECT id, grant_id, reason FROM payment_instructions WHERE status = 'refused'",
    )
    .fetch_one(&world.db.pool)
    .await
    .unwrap();
    assert!(
        reason.contains("422") && reason.contains("清算行"),
        "{reason}"
    );
    assert_eq!(
        world
            .count("SELECT count(*) FROM payment_instructions WHERE status = 'pending'")
            .await,
        0
    );
    let queue = reconciliation::list_exceptions(&world.pool, true, 0, 100)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(
        (queue[0].kind.as_str(), queue[0].instruction_id.as_str()),
        ("refused", refused.as_str())
    );
    assert_eq!(queue[0].expected_amount, Some(dec!(100.00)));
    assert!(queue[0].detail.contains("清算行"), "{}", queue[0].detail);
    // Its reservation is released, in the budget and the ledger alike; the grant is ready.
    assert_eq!(world.statuses(&[grant]).await, ["ready"]);
    send_until_settled(&world, &treasury).await;
    let budget = budgets::get(&world.pool, POLICY, YEAR)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((budget.reserved, budget.spent), (dec!(0), dec!(200.00)));
    let (ok, text) = verify(&world);
    assert!(ok, "after the refusal: {text}");

    // Finance fixes it and batches the grant again: a new instruction pays it.
    let again = world.batch(POLICY, &[grant]).await;
    world.approve(again).await.unwrap();
    send_until_settled(&world, &treasury).await;
    assert_eq!(world.statuses(&[grant]).await, ["paid"]);
    let (ok, text) = verify(&world);
    assert!(ok, "after the new instruction: {text}");
}

#[tokio::test]
async fn an_id_the_treasury_holds_with_other_content_is_flagged_and_never_paid_twice() {
    // Arrange: an approved grant whose instruction id the treasury already holds with
    // another amount (a bug on our side, or someone else's use of our id).
    let world = World::new().await;
    let grants = world.ready_grants(POLICY, 1, dec!(100.00)).await;
    let batch = world.batch(POLICY, &grants).await;
    world.approve(batch).await.unwrap();
    let treasury = spawn_treasury(paying()).await;
    let ours: String = sqlx::query_scalar("SELECT id FROM payment_instructions")
        .fetch_one(&world.db.pool)
        .await
        .unwrap();
    let theirs = PaymentInstruction {
        instruction_id: ours.clone(),
        payee_name: disbursement_support::firm_name(1),
        payee_account: "6222020200000001".into(),
        payee_bank: "中国工商银行青岛分行".into(),
        amount: dec!(999.00),
        uscc: disbursement_support::uscc(1),
        purpose: "测试".into(),
        budget_year: YEAR,
    };
    treasury.client.submit("BATCH-X", &[theirs]).await.unwrap();

    // Act.
    let report = sending::send_pending(&world.pool, &treasury.client, 1000)
        .await
        .unwrap();

    // Assert: not pending, not released (the treasury may pay its version): taken as sent,
    // flagged for finance; settled by the treasury's word, the grant paid once.
    assert_eq!((report.applied.sent, report.applied.refused), (1, 0));
    let queue = reconciliation::list_exceptions(&world.pool, true, 0, 100)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    assert!(queue[0].detail.contains("409"), "{}", queue[0].detail);
    assert_eq!(world.statuses(&grants).await, ["sent"]);
    send_until_settled(&world, &treasury).await;
    assert_eq!(world.statuses(&grants).await, ["paid"]);
    assert!(
        treasury
            .admin
            .payments()
            .await
            .unwrap()
            .paid_more_than_once()
            .is_empty()
    );
    let (ok, text) = verify(&world);
    assert!(ok, "{text}");
}

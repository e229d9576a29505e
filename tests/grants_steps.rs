//! The grant's state machine against real PostgreSQL: the Rust table equals the database's,
//! the trigger refuses every other change of status, concurrent steps over one set move
//! each grant once, and a property test of random actions by random roles over `advance`.
#![allow(clippy::unwrap_used)]

mod grants_support;

use std::collections::{BTreeSet, HashMap, VecDeque};

use grants_support::{FIRM_A, FIRM_B, World, world};
use mianshen::grants::steps::{
    self, Actor, GrantStatus, StepError, TRANSITIONS, advance, allowed, is_step,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[tokio::test]
async fn the_database_holds_the_same_table_of_steps_as_the_code() {
    let w = world().await;
    let rows: BTreeSet<(String, String, String)> =
        sqlx::query_as("SELECT from_status, to_status, role FROM grant_status_transitions")
            .fetch_all(&w.db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let code: BTreeSet<(String, String, String)> = TRANSITIONS
        .iter()
        .map(|(f, t, r)| (f.to_string(), t.to_string(), r.as_str().to_owned()))
        .collect();
    assert_eq!(rows, code);
    // The service cannot widen the table.
    let widen =
        sqlx::query("INSERT INTO grant_status_transitions VALUES ('created', 'paid', 'system')")
            .execute(&w.app_pool)
            .await;
    assert!(widen.is_err(), "the application role changed the table");
}

/// The shortest road of allowed steps from `created` to every status.
fn roads() -> HashMap<GrantStatus, Vec<GrantStatus>> {
    let mut roads = HashMap::from([(GrantStatus::Created, vec![])]);
    let mut queue = VecDeque::from([GrantStatus::Created]);
    while let Some(at) = queue.pop_front() {
        for &(f, t, _) in TRANSITIONS {
            if f == at && !roads.contains_key(&t) {
                let mut road = roads[&at].clone();
                road.push(t);
                roads.insert(t, road);
                queue.push_back(t);
            }
        }
    }
    roads
}

#[tokio::test]
async fn the_trigger_refuses_every_change_of_status_not_in_the_table() {
    // Arrange: one grant walked to each status by plain UPDATEs along allowed steps.
    let w = world().await;
    let roads = roads();
    assert_eq!(
        roads.len(),
        GrantStatus::ALL.len(),
        "every status is reachable"
    );
    let mut at = HashMap::new();
    for status in GrantStatus::ALL {
        let id = w.grants("免申即享", &[(FIRM_A, "100.00")]).await[0];
        for step in &roads[&status] {
            sqlx::query("UPDATE grants SET status = $2 WHERE id = $1")
                .bind(id)
                .bind(step.as_str())
                .execute(&w.db.pool)
                .await
                .unwrap();
        }
        at.insert(status, id);
    }
    // Act / Assert: every pair, even by the owner, succeeds exactly when it is a step.
    for from in GrantStatus::ALL {
        for to in GrantStatus::ALL.into_iter().filter(|t| *t != from) {
            let mut tx = w.db.pool.begin().await.unwrap();
            let done = sqlx::query("UPDATE grants SET status = $2 WHERE id = $1")
                .bind(at[&from])
                .bind(to.as_str())
                .execute(&mut *tx)
                .await;
            tx.rollback().await.unwrap();
            match done {
                Ok(_) => assert!(is_step(from, to), "{from} -> {to} was accepted"),
                Err(sqlx::Error::Database(e)) => {
                    assert!(!is_step(from, to), "{from} -> {to} was refused: {e}");
                    assert_eq!(e.code().as_deref(), Some("23514"));
                    let expected = format!("cannot go from status {from} to {to}");
                    assert!(e.message().contains(&expected), "{}", e.message());
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    // A grant is born `created`.
    let born_paid = sqlx::query(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id, status)
         VALUES ($1, $2, $3, 'x', 1, '免申即享', 0, 0, 'paid')",
    )
    .bind(&w.policy_id)
    .bind(w.version)
    .bind(FIRM_A)
    .execute(&w.db.pool)
    .await;
    assert!(
        matches!(born_paid, Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23514"))
    );
}

#[tokio::test]
async fn concurrent_steps_over_one_set_move_each_grant_once_and_audit_it_once() {
    let w = world().await;
    let ids = w.grants("免申即享", &[(FIRM_A, "10.00"); 300]).await;
    let reviewer = Actor::user(&w.reviewer);
    let mut tasks = Vec::new();
    for n in 0..16 {
        let (pool, ids, reviewer) = (w.app_pool.clone(), ids.clone(), reviewer.clone());
        tasks.push(tokio::spawn(async move {
            // Each task takes the set from another end, so lock orders would cross.
            let mut ids = ids;
            if n % 2 == 1 {
                ids.reverse();
            }
            let mut tx = pool.begin().await.unwrap();
            let moved = advance(
                &mut tx,
                &ids,
                GrantStatus::Created,
                GrantStatus::Reviewed,
                &reviewer,
                "批量审核通过",
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            moved
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert_eq!(total, 300);
    assert!(w.statuses(&ids).await.iter().all(|s| s == "reviewed"));
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'grant.step' AND after->>'reason' = '批量审核通过'
           AND actor = 'reviewer' AND before->>'status' = 'created' AND after->>'status' = 'reviewed'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 300);
    let reviewed_by: Vec<Option<i64>> =
        sqlx::query_scalar("SELECT DISTINCT reviewed_by FROM grants WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(reviewed_by, vec![Some(w.reviewer.id)]);
}

/// One random action: a subset of the case's grants, a step, an actor and a reason.
#[derive(Debug, Clone)]
struct Action {
    /// Which of the case's grants (bit i: grant i).
    mask: u8,
    /// Take `from` as the first chosen grant's status in the model (else `any_from`).
    from_current: bool,
    any_from: GrantStatus,
    /// Take `to` as the next step on the road to payment (else as below).
    forward: bool,
    /// Take `to` among the steps out of `from` (else `any_to`).
    to_a_step: bool,
    pick: usize,
    any_to: GrantStatus,
    actor: usize,
    /// Take the actor among those whose role may take the step (else `actor` as drawn).
    fit_actor: bool,
    blank_reason: bool,
}

fn action() -> impl Strategy<Value = Action> {
    let status = || proptest::sample::select(GrantStatus::ALL.to_vec());
    (
        1u8..16,
        proptest::bool::weighted(0.8),
        status(),
        (proptest::bool::weighted(0.5), proptest::bool::weighted(0.8)),
        0usize..8,
        status(),
        0usize..8,
        proptest::bool::weighted(0.7),
        proptest::bool::weighted(0.05),
    )
        .prop_map(
            |(
                mask,
                from_current,
                any_from,
                (forward, to_a_step),
                pick,
                any_to,
                actor,
                fit,
                blank,
            )| Action {
                mask,
                from_current,
                any_from,
                forward,
                to_a_step,
                pick,
                any_to,
                actor,
                fit_actor: fit,
                blank_reason: blank,
            },
        )
}

/// The case's grants: three of firm A, one of firm B.
const FIRMS: [&str; 4] = [FIRM_A, FIRM_A, FIRM_A, FIRM_B];

/// What the database must hold for the case's grants.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    status: [GrantStatus; 4],
    reviewed_by: [Option<i64>; 4],
    audited: i64,
}

/// Applies `action` by `actor` to the model; returns what `advance` must answer.
fn expect(
    model: &mut Model,
    action: &Action,
    (from, to): (GrantStatus, GrantStatus),
    actor: &Actor,
) -> Result<u64, &'static str> {
    let chosen: Vec<usize> = (0..4).filter(|i| action.mask & (1 << i) != 0).collect();
    if !is_step(from, to) {
        return Err("not a step");
    }
    if !actor.step_role().is_some_and(|r| allowed(from, to, r)) {
        return Err("wrong role");
    }
    if action.blank_reason {
        return Err("no reason");
    }
    let mut moved: u32 = 0;
    for i in chosen {
        let own = actor.firm().is_none_or(|f| f == FIRMS[i]);
        if model.status[i] == from && own {
            model.status[i] = to;
            if matches!(to, GrantStatus::Reviewed | GrantStatus::Rejected) {
                model.reviewed_by[i] = actor.user_id().or(model.reviewed_by[i]);
            }
            moved += 1;
        }
    }
    model.audited += i64::from(moved);
    Ok(u64::from(moved))
}

/// The next step towards payment, so random sequences reach the end of the road.
fn road_onward(from: GrantStatus) -> Option<GrantStatus> {
    use GrantStatus as S;
    Some(match from {
        S::Created | S::Confirmed => S::Reviewed,
        S::Reviewed | S::Disputed => S::Publicity,
        S::Publicity | S::AwaitingAccount => S::Ready,
        S::Ready => S::InBatch,
        S::InBatch => S::Approved,
        S::Approved => S::Sent,
        S::Sent => S::Paid,
        S::Returned => S::AwaitingAccount,
        S::Paid => S::Reconciled,
        _ => return None,
    })
}

/// The step and the actor (an index into `actors`) an action resolves to.
fn resolve(model: &Model, action: &Action, actors: &[Actor]) -> (GrantStatus, GrantStatus, usize) {
    let first = action.mask.trailing_zeros() as usize;
    let from = if action.from_current {
        model.status[first]
    } else {
        action.any_from
    };
    let steps: Vec<GrantStatus> = GrantStatus::ALL
        .into_iter()
        .filter(|t| is_step(from, *t))
        .collect();
    let to = if let Some(next) = road_onward(from).filter(|_| action.forward) {
        next
    } else if action.to_a_step && !steps.is_empty() {
        steps[action.pick % steps.len()]
    } else {
        action.any_to
    };
    let fits = |a: &Actor| a.step_role().is_some_and(|r| allowed(from, to, r));
    let actor = (0..actors.len())
        .map(|k| (action.actor + k) % actors.len())
        .find(|&k| action.fit_actor && fits(&actors[k]))
        .unwrap_or(action.actor);
    (from, to, actor)
}

async fn observed(w: &World, ids: &[i64]) -> Model {
    // One query: the grants in order, each with the audit rows about the whole set.
    let rows: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT g.status, g.reviewed_by,
                (SELECT count(*) FROM audit_events WHERE action = 'grant.step'
                   AND entity_id = ANY($1::bigint[]::text[]))
         FROM UNNEST($1::bigint[]) WITH ORDINALITY AS t(id, n) JOIN grants g ON g.id = t.id
         ORDER BY t.n",
    )
    .bind(ids)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    Model {
        status: std::array::from_fn(|i| rows[i].0.parse().unwrap()),
        reviewed_by: std::array::from_fn(|i| rows[i].1),
        audited: rows[0].2,
    }
}

#[test]
fn random_actions_by_random_roles_never_take_an_illegal_step_and_the_database_equals_the_model() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let w = rt.block_on(world());
    let actors = [
        Actor::user(&w.enterprise_a),
        Actor::user(&w.enterprise_b),
        Actor::user(&w.reviewer),
        Actor::user(&w.reviewer_2),
        Actor::user(&w.maker),
        Actor::user(&w.checker),
        Actor::user(&w.auditor),
        Actor::System("proptest"),
    ];
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // Every status must be reached, or the test exercised too little of the table.
    let reached = std::sync::Mutex::new(BTreeSet::new());
    let result = runner.run(&proptest::collection::vec(action(), 1..24), |actions| {
        rt.block_on(async {
            let ids = w.grants("免申即享", &FIRMS.map(|f| (f, "1000.00"))).await;
            let mut model = Model {
                status: [GrantStatus::Created; 4],
                reviewed_by: [None; 4],
                audited: 0,
            };
            let mut conn = w.app_pool.acquire().await.unwrap();
            for action in &actions {
                let (from, to, actor) = resolve(&model, action, &actors);
                let actor = &actors[actor];
                let chosen: Vec<i64> = (0..4)
                    .filter(|i| action.mask & (1 << i) != 0)
                    .map(|i| ids[i])
                    .collect();
                let reason = if action.blank_reason { "  " } else { "测试" };
                let expected = expect(&mut model, action, (from, to), actor);
                let got = advance(&mut conn, &chosen, from, to, actor, reason).await;
                match (&expected, &got) {
                    (Ok(n), Ok(m)) => prop_assert_eq!(n, m, "{} -> {}", from, to),
                    (Err("not a step"), Err(StepError::NotAStep { .. }))
                    | (Err("wrong role"), Err(StepError::WrongRole { .. }))
                    | (Err("no reason"), Err(StepError::NoReason)) => {}
                    _ => prop_assert!(
                        false,
                        "{from} -> {to} by {actor:?}: expected {expected:?}, got {got:?}"
                    ),
                }
                prop_assert_eq!(&observed(&w, &ids).await, &model, "after {:?}", action);
                reached.lock().unwrap().extend(model.status);
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let reached = reached.into_inner().unwrap();
    assert_eq!(
        reached.len(),
        GrantStatus::ALL.len(),
        "reached only {reached:?}"
    );
    // The roles that move no grant are refused before the database is asked.
    let auditor = Actor::user(&w.auditor);
    for &(from, to, _) in TRANSITIONS {
        assert!(matches!(
            steps::check(from, to, &auditor),
            Err(StepError::WrongRole { .. })
        ));
    }
}

//! `mianshen serve` and `mianshen migrate`.

use std::future::Future;
use std::process::ExitCode;

use crate::app::{Application, shutdown_signal};
use crate::config::Settings;
use crate::db::Database;

/// Runs the service until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let shutdown = shutdown_signal()?;
    let database = Database::open(&settings.database).await?;
    // One shutdown signal, seen by the web server and the scheduler alike.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let scheduler = settings.scheduler.enabled.then(|| {
        let (pool, settings) = (database.pool.clone(), settings.clone());
        tokio::spawn(crate::scheduler::run_scheduler(
            pool,
            settings,
            stopped(stop_rx.clone()),
        ))
    });
    let notices = settings.notices.enabled.then(|| {
        let (pool, policy) = (database.pool.clone(), settings.delivery_policy());
        tokio::spawn(crate::notices::run_worker(
            pool,
            policy,
            stopped(stop_rx.clone()),
        ))
    });
    let checkpoints =
        super::audit::start_checkpointer(&settings, &database, stopped(stop_rx.clone()))?;
    let money = start_money(&settings, &database.pool, &stop_rx, stopped)?;
    let app = Application::build(settings, database.pool.clone()).await?;
    tracing::info!(address = %app.local_addr()?, "serving");
    let served = app.run_until(stopped(stop_rx)).await;
    if let Some(task) = scheduler {
        match task.await {
            Ok(Err(error)) => tracing::error!(error = %format!("{error:#}"), "scheduler stopped"),
            Err(error) => tracing::error!(%error, "scheduler task failed"),
            Ok(Ok(())) => {}
        }
    }
    if let Some(task) = checkpoints {
        let _ = task.await;
    }
    for task in money {
        let _ = task.await;
    }
    if let Some(task) = notices {
        match task.await {
            Ok(Err(error)) => tracing::error!(error = %format!("{error:#}"), "notices stopped"),
            Err(error) => tracing::error!(%error, "notices task failed"),
            Ok(Ok(())) => {}
        }
    }
    database.close().await;
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Brings the schema up to date and exits.
pub async fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    let database = Database::open(&settings.database).await?;
    let applied = crate::db::MIGRATOR.iter().count();
    println!("database schema is up to date ({applied} migrations)");
    database.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The money side's background work: the sender (instructions to the treasury, callbacks
/// applied, polling) and, with the scheduler, the daily reconciliation.
pub fn start_money<F, Fut>(
    settings: &Settings,
    pool: &sqlx::PgPool,
    stop_rx: &tokio::sync::watch::Receiver<bool>,
    stopped: F,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>>
where
    F: Fn(tokio::sync::watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    use crate::disbursement::{schedule, sending};
    let client = crate::treasury::TreasuryClient::new(&settings.treasury)?;
    let mut tasks = vec![tokio::spawn(sending::run_sender(
        pool.clone(),
        client,
        sending::SenderPolicy::default(),
        stopped(stop_rx.clone()),
    ))];
    if settings.scheduler.enabled {
        let (pool, settings) = (pool.clone(), settings.clone());
        let shutdown = stopped(stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            if let Err(error) = schedule::run_reconciler(pool, settings, shutdown).await {
                tracing::error!(error = %format!("{error:#}"), "reconciliation schedule stopped");
            }
        }));
    }
    Ok(tasks)
}

//! The running service: binds its listener, serves until told to stop.
//!
//! Tests build it on port 0 and pass their own shutdown future; `serve` and `demo` pass
//! [`shutdown_signal`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use futures_util::FutureExt as _;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::edge::{self, AppState};

/// A bound, not yet serving, HTTP service.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// The separate metrics address, when configured.
    metrics: Option<TcpListener>,
}

impl Application {
    /// Binds `settings.http.listen` and prepares the routes.
    pub async fn build(settings: Settings, pool: PgPool) -> anyhow::Result<Self> {
        let listen = settings.http.listen;
        let listener = TcpListener::bind(listen).await.with_context(|| {
            format!(
                "cannot listen on {listen} (set MIANSHEN_LISTEN or --listen to another address)"
            )
        })?;
        let metrics = match settings.http.metrics_listen {
            Some(address) => Some(TcpListener::bind(address).await.with_context(|| {
                format!("cannot listen on {address} for metrics (MIANSHEN_METRICS_LISTEN)")
            })?),
            None => None,
        };
        let state = AppState {
            pool,
            settings: Arc::new(settings),
        };
        Ok(Self {
            listener,
            router: routes(state),
            metrics,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The metrics address actually bound, when there is one.
    pub fn metrics_addr(&self) -> Option<std::io::Result<SocketAddr>> {
        self.metrics.as_ref().map(TcpListener::local_addr)
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let shutdown = shutdown.boxed().shared();
        if let Some(listener) = self.metrics {
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, crate::http::metrics_router())
                    .with_graceful_shutdown(stop)
                    .await;
                if let Err(error) = served {
                    tracing::error!(%error, "the metrics listener failed");
                }
            });
        }
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// The API and the pages side by side, behind the shared layers. A request nobody
/// answers gets the one error shape; the pages' layer turns errors into pages for
/// browsers.
fn routes(state: AppState) -> axum::Router {
    let routes = axum::Router::new()
        .merge(crate::http::router())
        .merge(crate::web::router())
        .fallback(edge::not_found)
        .method_not_allowed_fallback(edge::method_not_allowed);
    edge::layers(routes, state).layer(axum::middleware::from_fn(crate::web::error_pages))
}

/// Listens for Ctrl-C (SIGINT) and SIGTERM from now on, and returns a future that
/// completes on the first of them. The handlers are installed before this returns, so a
/// signal that arrives while the service is still starting is not lost (and does not
/// kill the process with the default action).
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutdown requested; finishing requests in flight");
    })
}

//! `mianshen sandbox …`: the synthetic data-sharing platform, the SMS gateway, the SMTP
//! sink and the treasury as real servers.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::app::shutdown_signal;
use crate::sandbox::{DataExchange, ExchangeConfig, FeedConfig};

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve five source feeds of synthetic enterprises (GET /feeds/{source}, POST /admin/advance-day).
    DataExchange(ExchangeArgs),
    /// A sandbox SMS gateway (POST/GET /v1/messages with a bearer token, dedupe by key).
    SmsGateway {
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8091")]
        listen: SocketAddr,
        /// Bearer token clients must send.
        #[arg(long, value_name = "TOKEN", default_value = "sandbox-sms-token")]
        token: String,
    },
    /// A sandbox SMTP sink: stores each message once per Message-ID; GET /messages on the
    /// HTTP address lists them.
    SmtpSink {
        /// Address of the SMTP server.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2525")]
        listen: SocketAddr,
        /// Address of the HTTP listing (GET /messages).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8092")]
        http: SocketAddr,
    },
    /// A sandbox treasury (国库集中支付): POST /v1/batches, GET /v1/instructions/{id},
    /// GET /v1/statements/{date}, signed callbacks, admin endpoints for faults (docs/TREASURY.md).
    Treasury(TreasuryArgs),
}

#[derive(Debug, Args)]
pub struct TreasuryArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8093")]
    pub listen: SocketAddr,
    /// Bearer token clients must send.
    #[arg(long, value_name = "TOKEN", default_value = "sandbox-treasury-token")]
    pub token: String,
    /// Seed of which instructions are returned and which callbacks come twice or late.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Instructions returned as bad accounts, per thousand.
    #[arg(long, value_name = "PERMILLE", default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub return_share: u32,
    /// Milliseconds from acceptance to payment or return.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub settle_ms: u64,
    /// Where callbacks are POSTed (none: clients poll).
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// HMAC secret callbacks are signed with (X-Mianshen-Signature).
    #[arg(long, value_name = "SECRET", default_value = "sandbox-treasury-secret")]
    pub callback_secret: String,
    /// Callbacks sent twice, per thousand.
    #[arg(long, value_name = "PERMILLE", default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub duplicate_share: u32,
    /// Callbacks sent late, per thousand.
    #[arg(long, value_name = "PERMILLE", default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub late_share: u32,
    /// How late a late callback is, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub late_ms: u64,
}

#[derive(Debug, Args)]
pub struct ExchangeArgs {
    /// Firms on day 0.
    #[arg(long, value_name = "N")]
    pub firms: u64,
    /// Seed of every draw: the same seed serves the same bytes.
    #[arg(long, value_name = "S")]
    pub seed: u64,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// Day to start at (day 0 is 2026-11-23).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub day: u32,
    /// Defective items per thousand.
    #[arg(long, value_name = "PERMILLE", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub bad_share: u32,
    /// Bearer token clients must send.
    #[arg(long, value_name = "TOKEN", default_value = "sandbox-token")]
    pub token: String,
}

/// Runs a sandbox subcommand until Ctrl-C.
pub fn run(cmd: SandboxCommand) -> ExitCode {
    let args = match cmd {
        SandboxCommand::DataExchange(args) => args,
        SandboxCommand::SmsGateway { listen, token } => return sms_gateway(listen, &token),
        SandboxCommand::SmtpSink { listen, http } => return smtp_sink(listen, http),
        SandboxCommand::Treasury(args) => return treasury(args),
    };
    serve_sandbox("沙箱数据交换平台", async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let config = ExchangeConfig {
            feeds: FeedConfig {
                firms: args.firms,
                seed: args.seed,
                day: args.day,
                bad_permille: args.bad_share,
            },
            token: args.token,
        };
        let exchange = DataExchange::bind(config, listener);
        eprintln!(
            "沙箱数据交换平台已启动: http://{} ({} 家企业, 第 {} 天)",
            exchange.local_addr()?,
            args.firms,
            args.day
        );
        exchange.serve_until(shutdown_signal()?).await
    })
}

/// Serves the sandbox SMS gateway until Ctrl-C or SIGTERM.
fn sms_gateway(listen: SocketAddr, token: &str) -> ExitCode {
    let token = token.to_owned();
    serve_sandbox("沙箱短信网关", async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let gateway = crate::sandbox::sms_gateway::SmsGateway::bind(&token, listener);
        eprintln!("沙箱短信网关已启动: http://{}", gateway.local_addr()?);
        gateway.serve_until(shutdown_signal()?).await
    })
}

/// Serves the sandbox SMTP sink and its HTTP listing until Ctrl-C or SIGTERM.
fn smtp_sink(listen: SocketAddr, http: SocketAddr) -> ExitCode {
    use crate::sandbox::smtp_sink::{SmtpBehaviour, SmtpSink, http_router};
    serve_sandbox("沙箱邮件服务器", async move {
        let sink = SmtpSink::bind(
            SmtpBehaviour::default(),
            tokio::net::TcpListener::bind(listen).await?,
        );
        let http_listener = tokio::net::TcpListener::bind(http).await?;
        eprintln!(
            "沙箱邮件服务器已启动: smtp://{} (收到的邮件: http://{}/messages)",
            sink.local_addr()?,
            http_listener.local_addr()?
        );
        let listing = http_router(sink.log());
        tokio::spawn(async move { axum::serve(http_listener, listing).await });
        sink.serve_until(shutdown_signal()?).await
    })
}

/// Serves the sandbox treasury until Ctrl-C or SIGTERM.
fn treasury(args: TreasuryArgs) -> ExitCode {
    use crate::sandbox::treasury::{TreasuryBehaviour, TreasurySandbox};
    use std::time::Duration;
    let behaviour = TreasuryBehaviour {
        token: args.token,
        seed: args.seed,
        return_permille: args.return_share,
        settle_after: Duration::from_millis(args.settle_ms),
        callback_url: args.callback_url,
        callback_secret: args.callback_secret,
        duplicate_permille: args.duplicate_share,
        late_permille: args.late_share,
        late_by: Duration::from_millis(args.late_ms),
        ..TreasuryBehaviour::default()
    };
    serve_sandbox("沙箱国库支付系统", async move {
        let callbacks = behaviour.callback_url.clone();
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let sandbox = TreasurySandbox::bind(behaviour, listener);
        eprintln!(
            "沙箱国库支付系统已启动: http://{} (回调: {})",
            sandbox.local_addr()?,
            callbacks.as_deref().unwrap_or("未设置")
        );
        sandbox.serve_until(shutdown_signal()?).await
    })
}

/// Runs one sandbox server on a fresh runtime until it stops (Ctrl-C or SIGTERM, through
/// the same handler as `serve`), and turns its outcome into an exit code.
fn serve_sandbox(
    name: &str,
    server: impl std::future::Future<Output = std::io::Result<()>>,
) -> ExitCode {
    let served = tokio::runtime::Runtime::new().and_then(|runtime| runtime.block_on(server));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mianshen: {name}失败: {e}");
            ExitCode::FAILURE
        }
    }
}

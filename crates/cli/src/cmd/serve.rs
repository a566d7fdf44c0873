use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use cocare_web::{AppState, Server, WebConfig};

use super::DbArgs;

#[derive(Args)]
pub struct Serve {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on. Loopback by default; put a TLS proxy in front for other hosts.
    #[arg(long, env = "COCARE_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Seed the synthetic demo organisation first (if it is not there) and list its logins.
    #[arg(long)]
    demo: bool,
    /// Seed for the demo organisation.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Mark cookies Secure (use when cocare is served over HTTPS).
    #[arg(long, env = "COCARE_SECURE_COOKIES")]
    secure_cookies: bool,
}

impl Serve {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let app = self.db.app().await?;
        if self.demo {
            let summary = super::demo::seed(&app, self.seed).await?;
            super::demo::print_logins(&summary);
        }
        let state = AppState {
            app: app.clone(),
            config: WebConfig {
                secure_cookies: self.secure_cookies,
                demo: self.demo,
            },
        };
        let server = Server::build(self.bind, state)
            .await
            .with_context(|| format!("cannot listen on {}", self.bind))?;
        let address = server.local_addr()?;
        println!(
            "cocare is serving on http://{address} (database: {})",
            app.store().url()
        );
        tracing::info!(%address, "serving");
        server.run_until_stopped(shutdown_signal()).await?;
        app.store().close().await;
        eprintln!("cocare stopped.");
        Ok(ExitCode::SUCCESS)
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

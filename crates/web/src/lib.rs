//! cocare's HTTP layer. It translates HTTP to `cocare-app` calls and back, and nothing else:
//! no SQL, no policy rules of its own. Every route is declared once, in [`routes::routes`],
//! with the access it needs; the router is built from that table and the role × route test
//! walks the same table.

mod api;
mod charts;
pub mod econ_report;
mod error;
mod forms;
mod gate;
mod openapi;
mod pages;
pub mod records_report;
pub mod routes;
mod server;
mod views;

pub use gate::{CSRF_COOKIE, SESSION_COOKIE};
pub use openapi::openapi_json;
pub use server::{Server, WebConfig, router};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: cocare_app::App,
    pub config: WebConfig,
    /// Records imports running in this server (progress pages).
    pub jobs: pages::records::ImportJobs,
}

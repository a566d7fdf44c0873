//! Building the router, binding the listener, serving until told to stop.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Instrument;

use crate::AppState;
use crate::routes::routes;

/// The largest request body accepted (forms and JSON); larger ones get 413.
pub const BODY_LIMIT: usize = 64 * 1024;
/// The largest records upload (all files together) the web import takes; bigger extracts go
/// through `cocare records import`.
pub const UPLOAD_LIMIT: usize = 1 << 30;

/// Sources, codebooks and QDPX projects are read into memory: 256 MiB at most.
pub const QUAL_UPLOAD_LIMIT: usize = 256 << 20;

#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (on for deployments behind HTTPS; off for plain-HTTP local use).
    pub secure_cookies: bool,
    /// Show the demo accounts on the sign-in page (only when serving synthetic demo data).
    pub demo: bool,
}

/// The whole application router: every route from the table, behind its access gate.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for route in routes() {
        let gated = route.handler.route_layer(middleware::from_fn_with_state(
            (state.clone(), route.access),
            crate::gate::gate,
        ));
        router = router.route(route.path, gated);
    }
    let security = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    let mut router = router
        .fallback(crate::pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::gate::resolve_session,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    for (name, value) in security {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router.layer(middleware::from_fn(request_id)).with_state(state)
}

/// Gives every request an id that appears in its log lines and in its response, so a person
/// can quote it. Logs carry method, route and status, never bodies or personal data.
async fn request_id(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    // The route template (filled in by the gate) is logged, never the path with its ids.
    let span = tracing::info_span!("request", id = %id, method = %request.method(), route = tracing::field::Empty);
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(request).instrument(span.clone()))
        .await;
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "answered"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    response
}

tokio::task_local! {
    /// The id of the request being answered, for error pages to show.
    static REQUEST_ID: String;
}

/// The current request's id, if called while answering one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A bound server, ready to run. Binding happens in `build`, so tests can ask for port 0 and
/// read the port back before anything is spawned.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Server {
    pub async fn build(bind: SocketAddr, state: AppState) -> std::io::Result<Server> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        Ok(Server {
            listener,
            router: router(state),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish (up to 10 s).
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let mut graceful_rx = stop_rx.clone();
        let serve = axum::serve(self.listener, self.router).with_graceful_shutdown(async move {
            let _ = graceful_rx.wait_for(|stop| *stop).await;
        });
        let mut deadline_rx = stop_rx;
        tokio::select! {
            result = serve => result,
            _ = async move {
                let _ = deadline_rx.wait_for(|stop| *stop).await;
                tokio::time::sleep(Duration::from_secs(10)).await;
            } => Ok(()),
        }
    }
}

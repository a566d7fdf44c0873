use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use cocare_app::HomeView;

use crate::AppState;
use crate::error::{HtmlErr, HtmlResult};
use crate::gate::SignedIn;
use crate::views::{Layout, render};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    view: HomeView,
}

pub async fn get_home(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let view = state.app.home(signed_in.actor()).await.html()?;
    let page = HomePage {
        layout: Layout::new("Home", Some(&signed_in.0), "/"),
        view,
    };
    Ok(render(StatusCode::OK, &page))
}

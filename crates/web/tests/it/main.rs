//! cocare-web's one integration-test binary: the real router over a seeded store, on SQLite and
//! on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod admin;
mod api;
mod auth;
mod demo;
mod econ;
mod engage;
mod matrix;
mod people;
mod plan;
mod qual;
mod records;
mod vignettes;

use cocare_app::ConsentForm;
use cocare_core::{Actor, ConsentId};
use cocare_testkit::TestApp;

/// A fresh consent from Sam to Casey for every carer part (made by the system actor).
pub async fn fresh_consent(app: &TestApp) -> ConsentId {
    let sam = app.person_of("sam").await;
    let casey = app.person_of("casey").await;
    let form = ConsentForm {
        recipient: format!("carer:{casey}"),
        parts: cocare_core::SharedPart::FOR_CARERS
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        note: String::new(),
    };
    app.app
        .record_consent(&Actor::system("test"), sam, &form)
        .await
        .unwrap()
}

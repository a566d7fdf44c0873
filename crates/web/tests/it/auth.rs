use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use cocare_app::AppConfig;
use cocare_store::Backend;
use cocare_testkit::{TestApp, backends};

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_clear_message_and_the_username_kept() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.anonymous();
    client.get("/login").await;
    let reply = client
        .post_form("/login", &[("username", "alex"), ("password", "not the password")])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.body.contains("The username or password is not right"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("value=\"alex\""), "the username is kept");
    assert!(
        reply.body.contains("href=\"#username\""),
        "the error summary links to the field"
    );
    assert!(client.cookie(cocare_web::SESSION_COOKIE).is_none());
}

#[tokio::test]
async fn repeated_failures_lock_sign_in_for_that_username_even_with_the_right_password() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let mut client = app.anonymous();
        client.get("/login").await;
        for _ in 0..cocare_app::THROTTLE_FAILURES {
            let reply = client
                .post_form("/login", &[("username", "jordan"), ("password", "guess guess guess")])
                .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        }
        let reply = client
            .post_form(
                "/login",
                &[("username", "jordan"), ("password", cocare_app::DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        assert!(reply.body.contains("Too many attempts"), "{}", reply.body);
        // Another account is not affected.
        app.signed_in("alex").await;
    }
}

#[tokio::test]
async fn state_changing_requests_without_the_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.signed_in("alex").await;
    client.csrf_header = false;
    let reply = client.post_raw_form("/logout", "").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body.contains("reload the page"), "{}", reply.body);
    let reply = client.post_raw_form("/logout", "csrf_token=0000").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(client.get("/").await.status, StatusCode::OK, "still signed in");

    // The sign-in form needs its pre-session token too.
    let mut stranger = app.anonymous();
    stranger.csrf_header = false;
    let reply = stranger
        .post_raw_form("/login", "username=alex&password=cocare-demo-2026")
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // A form posted from another site is refused even with a token.
    client.csrf_header = true;
    let mut request_client = app.signed_in("alex").await;
    let reply = request_client
        .request(
            Method::POST,
            "/logout",
            Some("application/x-www-form-urlencoded"),
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "with the token, signing out works");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = app.signed_in("alex").await;
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/logout")
        .header(
            header::COOKIE,
            format!(
                "{}={}",
                cocare_web::SESSION_COOKIE,
                client.cookie(cocare_web::SESSION_COOKIE).unwrap()
            ),
        )
        .header("x-csrf-token", client.csrf.clone())
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_forged_or_ended_session_is_not_a_session() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut forged = app.anonymous();
    forged.set_cookie(cocare_web::SESSION_COOKIE, &"ab".repeat(32));
    let reply = forged.get("/").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), Some("/login?next=%2F"));
    forged.set_cookie(cocare_web::SESSION_COOKIE, "<script>");
    assert_eq!(forged.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);

    let mut client = app.signed_in("alex").await;
    let cookie = client.cookie(cocare_web::SESSION_COOKIE).unwrap().clone();
    let reply = client.post_form("/logout", &[]).await;
    assert_eq!(reply.location(), Some("/login?signed_out=1"));
    let mut replay = app.anonymous();
    replay.set_cookie(cocare_web::SESSION_COOKIE, &cookie);
    assert_eq!(
        replay.get("/").await.status,
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
}

#[tokio::test]
async fn an_expired_session_asks_to_sign_in_again() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        AppConfig {
            session_ttl: Duration::from_secs(1),
        },
    )
    .await;
    let mut client = app.anonymous();
    client.get("/login").await;
    let reply = client
        .post_form(
            "/login",
            &[("username", "alex"), ("password", cocare_app::DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reply = client.get("/people").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), Some("/login?next=%2Fpeople"));
    assert_eq!(client.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_only_ever_returns_to_a_local_page() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.anonymous();
    client.get("/login").await;
    let reply = client
        .post_form(
            "/login",
            &[
                ("username", "alex"),
                ("password", cocare_app::DEMO_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(reply.location(), Some("/"));
    let mut client = app.anonymous();
    client.get("/login?next=/people").await;
    let reply = client
        .post_form(
            "/login",
            &[
                ("username", "alex"),
                ("password", cocare_app::DEMO_PASSWORD),
                ("next", "/people"),
            ],
        )
        .await;
    assert_eq!(reply.location(), Some("/people"));
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_413_and_422() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.signed_in("sam").await;
    let sam = app.person_of("sam").await;
    let huge = format!("note={}", "x".repeat(200 * 1024));
    let reply = client.post_raw_form(&format!("/people/{sam}/consents"), &huge).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let reply = client
        .request(
            Method::POST,
            "/api/session",
            Some("application/json"),
            format!("{{\"username\":\"{}\"}}", "a".repeat(100_000)).into_bytes(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let reply = client
        .request(
            Method::POST,
            "/api/session",
            Some("application/json"),
            b"{\"username\":".to_vec(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.json()["error"].as_str().unwrap().contains("not valid JSON"));
    let reply = client
        .request(Method::POST, "/api/session", Some("text/plain"), b"hello".to_vec())
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // The server keeps serving.
    assert_eq!(client.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn health_reports_the_store_and_pages_answer_503_when_it_is_gone() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.signed_in("alex").await;
    let reply = client.get("/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["store"], "reachable");
    app.app.store().close().await;
    assert_eq!(client.get("/health").await.status, StatusCode::SERVICE_UNAVAILABLE);
    let reply = client.get("/people").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.body.contains("cannot reach its database"), "{}", reply.body);
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.signed_in("admin").await;
    for path in ["/", "/login", "/admin", "/api/openapi.json", "/no/such/page"] {
        let reply = client.get(path).await;
        let csp = reply
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            reply.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff",
            "{path}"
        );
        assert!(reply.headers.get("x-request-id").is_some(), "{path}");
    }
    let reply = client.get("/no/such/page").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("Page not found"));
    assert_eq!(
        app.anonymous().get("/api/v1/nothing").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.anonymous();
    client.get("/login").await;
    let reply = client
        .post_form(
            "/login",
            &[("username", "alex"), ("password", cocare_app::DEMO_PASSWORD)],
        )
        .await;
    let set = reply.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.starts_with("cocare_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Max-Age"),
        "{set}"
    );
}

#[tokio::test]
async fn guesses_sent_in_parallel_are_counted_one_by_one() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let guesses = (0..12).map(|i| {
            let app = app.app.clone();
            tokio::spawn(async move {
                app.login("alex", secrecy::SecretString::from(format!("guess number {i}")))
                    .await
            })
        });
        let mut checked = 0;
        let mut throttled = 0;
        for guess in guesses {
            match guess.await.unwrap().unwrap() {
                cocare_app::LoginOutcome::Invalid => checked += 1,
                cocare_app::LoginOutcome::Throttled { .. } => throttled += 1,
                cocare_app::LoginOutcome::SignedIn { .. } => panic!("a guess signed in"),
            }
        }
        assert_eq!(
            checked,
            cocare_app::THROTTLE_FAILURES,
            "{backend:?}: only the first guesses are checked"
        );
        assert_eq!(throttled, 12 - cocare_app::THROTTLE_FAILURES);
    }
}

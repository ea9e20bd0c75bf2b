//! GraphiQL and the REST reference in headless Chromium, on a machine where
//! every name but the edge's fails to resolve: typing and running a query
//! works, the docs list every operation, and no request leaves the edge's
//! origin. Screenshots go to target/tmp/screenshots/ for people to look at.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::StreamExt;
use integration_tests::chromiumoxide::{
    Browser, BrowserConfig, Page,
    cdp::browser_protocol::{network, page::CaptureScreenshotFormat},
    page::ScreenshotParams,
};

use crate::{mesh::Launched, tools::tool};

/// A headless Chromium with no way out: any host but 127.0.0.1 is unknown.
struct Chromium {
    browser: Browser,
    _profile: tempfile::TempDir,
}

impl Chromium {
    async fn launch() -> Self {
        let profile = tempfile::tempdir().unwrap();
        let config = BrowserConfig::builder()
            .chrome_executable(tool("chromium"))
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(1400, 900)
            .viewport(None)
            .args(["--disable-gpu", "--disable-quic", "--disable-component-update"])
            .arg(("--host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"))
            .build()
            .unwrap();
        let (browser, mut handler) = Browser::launch(config).await.expect("chromium starts");
        tokio::spawn(async move { while handler.next().await.is_some() {} });
        Self { browser, _profile: profile }
    }

    /// A page that records the URL of every request it makes.
    async fn page(&self) -> (Page, Arc<Mutex<Vec<String>>>) {
        let page = self.browser.new_page("about:blank").await.unwrap();
        page.execute(network::EnableParams::default()).await.unwrap();
        let mut requests = page.event_listener::<network::EventRequestWillBeSent>().await.unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Some(event) = requests.next().await {
                record.lock().unwrap().push(event.request.url.clone());
            }
        });
        (page, seen)
    }
}

/// Waits for `script` (an expression) to give a non-empty string.
async fn wait_for_text(page: &Page, script: &str, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let value = page.evaluate(script).await.ok().and_then(|v| v.into_value::<Option<String>>().ok()).flatten();
        if let Some(text) = value.filter(|t| !t.is_empty()) {
            return text;
        }
        assert!(Instant::now() < deadline, "{what} never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn screenshot_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn screenshot(page: &Page, name: &str) {
    let params = ScreenshotParams::builder().format(CaptureScreenshotFormat::Png).full_page(true).build();
    let path = screenshot_path(name);
    page.save_screenshot(params, &path).await.unwrap();
    println!("screenshot: {}", path.display());
}

/// Every request stayed on `origin` (or never left the page: data:, about:).
fn assert_same_origin(requests: &Mutex<Vec<String>>, origin: &str) {
    let requests = requests.lock().unwrap();
    assert!(!requests.is_empty(), "the page made requests");
    let outside: Vec<&String> = requests
        .iter()
        .filter(|url| {
            !(url.starts_with(&format!("{origin}/")) || url.starts_with("data:") || url.starts_with("about:"))
        })
        .collect();
    assert!(outside.is_empty(), "requests left {origin}: {outside:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn graphiql_runs_a_typed_query_and_the_docs_list_every_operation_offline() {
    let mesh = Launched::start().await;
    let chromium = Chromium::launch().await;
    let origin = mesh.ports.edge.clone();

    let (page, requests) = chromium.page().await;
    page.goto(format!("{origin}/graphql")).await.unwrap();
    wait_for_text(&page, "document.querySelector('.graphiql-execute-button') ? 'ready' : ''", "GraphiQL").await;
    // Clear the welcome text, then type, key by key, as a person would.
    page.evaluate("document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('')")
        .await
        .unwrap();
    let editor = page.find_element(".graphiql-query-editor .CodeMirror textarea").await.unwrap();
    editor.click().await.unwrap();
    editor.type_str("{ categories { name productCount } }").await.unwrap();
    page.find_element(".graphiql-execute-button").await.unwrap().click().await.unwrap();
    let result = wait_for_text(
        &page,
        "(() => { const t = document.querySelector('.result-window')?.innerText ?? ''; return t.includes('productCount') ? t : ''; })()",
        "the query's result",
    )
    .await;
    screenshot(&page, "graphiql.png").await;
    let typed: String = page
        .evaluate("document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert_eq!(typed, "{ categories { name productCount } }", "what was typed is the query");
    assert!(result.contains("\"name\": \"GPUs\""), "the result pane shows the data: {result}");
    assert_same_origin(&requests, &origin);
    println!("graphiql: {} requests, all to {origin}", requests.lock().unwrap().len());

    let document: serde_json::Value =
        reqwest::get(format!("{origin}/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    let operations: usize = document["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    let (page, requests) = chromium.page().await;
    page.goto(format!("{origin}/api/v1/docs")).await.unwrap();
    let count = "(() => { const n = document.querySelectorAll('.opblock').length; return n ? String(n) : ''; })()";
    let listed: usize = wait_for_text(&page, count, "the operations").await.parse().unwrap();
    let paths: Vec<String> = page
        .evaluate(
            "[...document.querySelectorAll('.opblock-summary-path')].map(e => e.innerText.replace(/\\u200b/g, ''))",
        )
        .await
        .unwrap()
        .into_value()
        .unwrap();
    screenshot(&page, "api-docs.png").await;
    assert_eq!(listed, operations, "every operation of the OpenAPI document is listed");
    for path in ["/api/v1/products", "/api/v1/orders/{id}/cancel", "/api/v1/users/login"] {
        assert!(paths.iter().any(|p| p == path), "{path} is listed: {paths:?}");
    }
    assert_same_origin(&requests, &origin);
    println!("api docs: {listed} operations listed, {} requests, all to {origin}", requests.lock().unwrap().len());
}

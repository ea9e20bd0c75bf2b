//! Checkouts through the real processes, seen by a real OTLP collector and
//! in the logs.

use std::collections::BTreeSet;

use integration_tests::collector::{CollectedSpan, Collector, Trace};
use serde_json::{Value, json};

use crate::mesh::{CARD, Mesh, graphql_checkout, rest_checkout};

const PASSWORD: &str = "hygiene-check-password-9731";
const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";
const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const SERVICES: [&str; 5] = ["orders", "cart", "products", "payments", "edge"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_is_one_trace_through_every_service_and_its_logs_keep_secrets() {
    let collector = Collector::start().await;
    let mut mesh = Mesh::start(&collector.endpoint()).await;
    let token = mesh.customer("ada@example.com", PASSWORD).await;

    mesh.fill_cart(&token).await;
    let graphql = mesh
        .call(mesh.http.post(mesh.url("/graphql")).bearer_auth(&token).json(&graphql_checkout("gql-1")), None)
        .await;
    assert_eq!(graphql.body["data"]["checkout"]["status"], "PAID", "{}", graphql.body);

    mesh.fill_cart(&token).await;
    let orders = mesh.url("/api/v1/orders");
    let rest = mesh
        .call(
            mesh.http.post(&orders).bearer_auth(&token).header("Idempotency-Key", "rest-1").json(&rest_checkout()),
            None,
        )
        .await;
    assert_eq!((rest.status, &rest.body["status"]), (201, &json!("PAID")), "{}", rest.body);

    mesh.fill_cart(&token).await;
    let traceparent = format!("00-{CLIENT_TRACE}-{CLIENT_SPAN}-01");
    let continued = mesh
        .call(
            mesh.http.post(&orders).bearer_auth(&token).header("Idempotency-Key", "rest-2").json(&rest_checkout()),
            Some(&traceparent),
        )
        .await;
    assert_eq!(continued.status, 201, "{}", continued.body);
    assert_eq!(continued.trace_id.as_deref(), Some(CLIENT_TRACE), "the edge continues the client's trace");

    let forbidden = json!({"query": "mutation { adjustStock(productId: \"01a1fd37-0000-7000-8000-000000000000\", input: {delta: 1, reason: \"restock\"}) { id } }"});
    let failed = mesh.call(mesh.http.post(mesh.url("/graphql")).bearer_auth(&token).json(&forbidden), None).await;
    assert!(failed.body["errors"][0]["extensions"]["code"].is_string(), "{}", failed.body);
    assert_eq!(
        failed.body["errors"][0]["extensions"]["traceId"].as_str(),
        failed.trace_id.as_deref(),
        "{}",
        failed.body
    );

    // Each checkout is mailed twice (confirmation, receipt), and the
    // account once (welcome): once all are sent, every span is finished.
    let mails =
        integration_tests::wait_for_mails(&mesh.mail_dir(), std::time::Duration::from_secs(20), |m| m.len() >= 7).await;
    assert_eq!(mails.len(), 7, "{:?}", mails.iter().map(|m| &m.subject).collect::<Vec<_>>());

    // A graceful stop flushes every process's spans.
    mesh.stop();

    let graphql_trace = collector.trace(graphql.trace_id.as_deref().expect("x-trace-id on the GraphQL answer"));
    println!("GraphQL checkout, trace {}:\n{}", graphql.trace_id.unwrap_or_default(), graphql_trace.tree());
    let root = one_tree(&graphql_trace, None);
    assert_eq!((root.service.as_str(), root.name.as_str()), ("edge", "POST /graphql"));
    assert_eq!(root.attribute("graphql.operation.name"), Some("Checkout"));
    let operation =
        graphql_trace.spans.iter().find(|s| s.name == "mutation Checkout").expect("a span for the GraphQL operation");
    let loaded = graphql_trace
        .spans
        .iter()
        .find(|s| s.service == "edge" && s.kind == CLIENT && s.attribute("rpc.method") == Some("BatchGetProducts"))
        .expect("the DataLoader's batch call is in the trace");
    assert!(
        graphql_trace.has_ancestor(loaded, |s| s.span_id == operation.span_id),
        "the batch runs under the operation"
    );
    every_hop(&graphql_trace);
    mails_in_the_trace(&graphql_trace, root);

    let rest_trace = collector.trace(rest.trace_id.as_deref().expect("x-trace-id on the REST answer"));
    let root = one_tree(&rest_trace, None);
    assert_eq!((root.name.as_str(), root.attribute("http.route")), ("POST /api/v1/orders", Some("/api/v1/orders")));
    every_hop(&rest_trace);

    let client_trace = collector.trace(CLIENT_TRACE);
    let root = one_tree(&client_trace, Some(CLIENT_SPAN));
    assert_eq!(root.service, "edge");
    every_hop(&client_trace);

    let logs = mesh.logs();
    let admin_password = mesh.admin_password();
    assert!(admin_password.len() >= 16);
    for secret in [PASSWORD, &token, CARD, "4242 4242 4242 4242", &admin_password] {
        assert!(!logs.contains(secret), "a log line holds a secret ({} chars)", secret.len());
    }
    let lines: Vec<Value> =
        logs.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    let traced_services: BTreeSet<&str> = lines
        .iter()
        .filter(|l| l["trace_id"].as_str() == rest.trace_id.as_deref())
        .filter_map(|l| l["service"].as_str())
        .collect();
    assert!(
        traced_services.is_superset(&BTreeSet::from(["edge", "orders"])),
        "log lines carry the trace id: {traced_services:?}"
    );
    assert!(lines.len() > 100, "DEBUG logs of the whole run were captured: {} lines", lines.len());
}

/// Asserts the spans form one tree: a single root (whose parent is
/// `remote_parent`, the client's span, when the client started the trace)
/// and no span whose parent is missing. Returns the root.
fn one_tree<'t>(trace: &'t Trace, remote_parent: Option<&str>) -> &'t CollectedSpan {
    let tops = trace.tops();
    let names: Vec<String> =
        tops.iter().map(|s| format!("{} / {} (parent {})", s.service, s.name, s.parent_span_id)).collect();
    assert_eq!(tops.len(), 1, "one root, no orphans: {names:#?}\n{}", trace.tree());
    assert_eq!(tops[0].parent_span_id, remote_parent.unwrap_or_default(), "{:?}", tops[0]);
    tops[0]
}

/// Asserts the checkout's events left through the outbox relay, reached the
/// notifications service, and were sent as mails, all under the checkout's root.
fn mails_in_the_trace(trace: &Trace, root: &CollectedSpan) {
    let named = |service: &str, name: &str| -> Vec<&CollectedSpan> {
        trace.spans.iter().filter(|s| s.service == service && s.name == name).collect()
    };
    assert!(!named("orders", "outbox relay").is_empty(), "orders' events leave through its relay:\n{}", trace.tree());
    assert!(!named("payments", "outbox relay").is_empty(), "so do payments'");
    let consumed = named("notifications", "consume event");
    assert!(consumed.len() >= 2, "the order's and the payment's events are consumed:\n{}", trace.tree());
    let sent = named("notifications", "send mail");
    assert_eq!(sent.len(), 2, "a confirmation and a receipt are sent:\n{}", trace.tree());
    for span in consumed.iter().chain(&sent) {
        assert!(trace.has_ancestor(span, |s| s.span_id == root.span_id), "{span:?} is in the checkout's tree");
    }
    for mail in sent {
        assert!(trace.has_ancestor(mail, |s| s.name == "consume event"), "a send follows its event: {mail:?}");
    }
}

/// Asserts every service took part, each with a server span per RPC under
/// a client span, and database spans only under the RPC that ran them.
fn every_hop(trace: &Trace) {
    let services = trace.services();
    assert!(SERVICES.iter().all(|s| services.contains(s)), "services in the trace: {services:?}");
    for server in trace.spans.iter().filter(|s| s.kind == SERVER && s.attribute("rpc.system") == Some("grpc")) {
        let parent = trace.parent_of(server).expect("a gRPC server span has its caller's span as parent");
        assert_eq!(
            (parent.kind, parent.attribute("rpc.method")),
            (CLIENT, server.attribute("rpc.method")),
            "{server:?}"
        );
        assert_eq!(server.attribute("rpc.grpc.status_code"), Some("0"), "{server:?}");
    }
    let queries: Vec<&CollectedSpan> = trace.spans.iter().filter(|s| s.attribute("db.system.name").is_some()).collect();
    for service in ["orders", "cart", "products", "payments"] {
        assert!(queries.iter().any(|q| q.service == service), "{service} has database spans");
    }
    let reserve = |q: &&CollectedSpan| q.service == "products" && q.name == "UPDATE products";
    assert!(queries.iter().any(reserve), "TRACE_FILTER adds statement spans:\n{}", trace.tree());
    // Outside RPCs, the notifications service queries while it handles an
    // event or sends a mail.
    let handling = |s: &CollectedSpan| s.name == "consume event" || s.name == "send mail";
    for query in queries {
        assert!(
            trace.has_ancestor(query, |s| (s.kind == SERVER || handling(s)) && s.service == query.service),
            "a database span runs under its service's RPC (or event): {query:?}"
        );
        assert!(query.attributes.values().all(|v| !v.contains(CARD)), "{query:?}");
    }
}

//! The image as the Dockerfile builds it, checked without Docker: what the
//! final stage holds and runs as, the ports it declares against the
//! launcher's, and the claim that makes a read-only root filesystem safe,
//! proved natively: the whole mesh serves a checkout with / mounted
//! read-only and only its data dir writable.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use clap::CommandFactory;
use nix::{sys::signal, unistd::Pid};
use serde_json::json;

use crate::{
    launch,
    tools::{repo, tool},
};

fn dockerfile() -> String {
    std::fs::read_to_string(repo().join("Dockerfile")).unwrap()
}

/// The instructions of the last stage, one per line, continuations joined.
fn final_stage(text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let lines: Vec<&str> = joined.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let start = lines.iter().rposition(|l| l.starts_with("FROM ")).unwrap();
    lines[start..].iter().map(|l| (*l).to_owned()).collect()
}

/// The launcher's default port for `flag` (e.g. `users_port`).
fn up_default(id: &str) -> u16 {
    let command = shop::Cli::command();
    let up = command.find_subcommand("up").unwrap();
    let arg = up.get_arguments().find(|a| a.get_id() == id).unwrap();
    arg.get_default_values()[0].to_str().unwrap().parse().unwrap()
}

#[test]
fn the_final_stage_is_distroless_non_root_and_holds_only_the_binary() {
    let text = dockerfile();
    let stage = final_stage(&text);
    assert_eq!(stage[0], "FROM gcr.io/distroless/cc-debian12:nonroot", "a minimal base without a shell");
    assert!(stage.contains(&"USER 65532:65532".to_owned()), "runs as the non-root user");
    assert!(stage.contains(&r#"ENTRYPOINT ["/usr/local/bin/shop"]"#.to_owned()));
    let copies: Vec<&String> = stage.iter().filter(|l| l.starts_with("COPY")).collect();
    assert_eq!(copies.len(), 3, "the binary and the two writable dirs: {copies:?}");
    assert!(copies[0].ends_with("/out/usr/local/bin/shop /usr/local/bin/shop"));
    assert!(copies[1].contains("--chown=65532:65532") && copies[1].ends_with(" /data"));
    assert!(copies[2].contains("--chown=65532:65532") && copies[2].ends_with(" /secrets"));
    assert!(!stage.iter().any(|l| l.starts_with("RUN ") || l.starts_with("ADD ")), "nothing runs in the final stage");
    assert!(text.contains("cargo chef cook --profile dist"), "dependencies are built in a cached layer");
    assert!(text.contains("cargo build --profile dist --locked --package shop --bin shop"));
    let cargo = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(cargo.contains("[profile.dist]"), "the dist profile exists");

    // Every port the default command (`shop up` on 0.0.0.0) listens on.
    let mut expected: Vec<u16> = vec![up_default("edge_port")];
    for id in ["users_port", "products_port", "cart_port", "orders_port", "payments_port"] {
        expected.extend([up_default(id), up_default(id) + 10]);
    }
    expected.sort_unstable();
    let expose = stage.iter().find(|l| l.starts_with("EXPOSE ")).expect("EXPOSE");
    let mut declared: Vec<u16> = expose.split_whitespace().skip(1).map(|p| p.parse().unwrap()).collect();
    declared.sort_unstable();
    assert_eq!(declared, expected, "EXPOSE lists what `shop up` listens on");
    assert!(stage.contains(&r#"CMD ["up"]"#.to_owned()));

    let ignored = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    for entry in ["target", ".git", "data", "**/*.pem", "**/*.db"] {
        assert!(ignored.lines().any(|l| l == entry), ".dockerignore keeps {entry} out of the context");
    }
    for needed in ["proto", "services", "edge", "integration-tests", "loadgen", ".cargo", "Cargo.toml", "Cargo.lock"] {
        assert!(!ignored.lines().any(|l| l == needed), "the build needs {needed}");
    }
}

/// `shop up` in its own mount namespace, with / read-only and a fresh
/// tmpfs at `data` the only writable place, as the image runs it.
fn read_only_mesh(data: &std::path::Path) -> (Child, launch::Ports) {
    let (command, ports) = launch::shop(data);
    let script = r#"mount --bind / / && mount -o remount,bind,ro / && mount -t tmpfs -o size=256m tmpfs "$SHOP_DATA_DIR" && exec "$@""#;
    let mut wrapped = Command::new(tool("unshare"));
    wrapped
        .args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(command.get_program())
        .args(command.get_args())
        .env("SHOP_DATA_DIR", data)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .env_remove("SHOP_ADMIN_PASSWORD")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    (wrapped.spawn().expect("unshare starts"), ports)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mesh_serves_a_checkout_with_a_read_only_root_and_only_its_data_dir_writable() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, ports) = read_only_mesh(data.path());
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = |path: &str| format!("{}{path}", ports.edge);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http.get(url("/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            panic!("the mesh exited on a read-only root ({status}):\n{stderr}");
        }
        assert!(Instant::now() < deadline, "the mesh did not become ready on a read-only root");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let account = json!({"email": "ro@example.com", "password": "read only root", "name": "Ro"});
    let session: serde_json::Value =
        http.post(url("/api/v1/users/register")).json(&account).send().await.unwrap().json().await.unwrap();
    let token = session["access_token"].as_str().expect("registered").to_owned();
    let catalog: serde_json::Value =
        http.get(url("/api/v1/products?in_stock_only=true&page_size=1")).send().await.unwrap().json().await.unwrap();
    let product = catalog["items"][0]["id"].as_str().expect("the demo catalog").to_owned();
    let line = json!({"product_id": product, "quantity": 1});
    let added = http.post(url("/api/v1/cart/items")).bearer_auth(&token).json(&line).send().await.unwrap();
    assert!(added.status().is_success());
    let checkout = json!({
        "shipping_address": {"name": "Ro", "line1": "1 Read Only Rd", "city": "Ro", "postal_code": "1", "country": "GB"},
        "card": {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    });
    let order: serde_json::Value = http
        .post(url("/api/v1/orders"))
        .bearer_auth(&token)
        .header("idempotency-key", "read-only-root")
        .json(&checkout)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "PAID", "{order}");
    println!("read-only root: the mesh became ready and served a paid checkout, writing only to its data dir");

    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    signal::kill(pid, signal::Signal::SIGTERM).unwrap();
    assert!(child.wait().unwrap().success(), "it stops cleanly too");
    assert!(std::fs::read_dir(data.path()).unwrap().next().is_none(), "everything it wrote was on its own tmpfs");
}

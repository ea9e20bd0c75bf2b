//! docker-compose.yml, as docker-compose itself reads it, against the code:
//! each component starts with its settings, listens where its health check
//! and its callers look, waits for what it calls, and reads secrets that
//! `shop generate-secrets` writes.

use std::{collections::BTreeSet, process::Command};

use integration_tests::yaml_serde::Value;

use crate::{
    config::{COMPONENTS, DATABASE_OWNERS, Env, admin_port, assert_starts_with, host_port, listen_port, upstream_urls},
    tools::{repo, run, shop, tool},
};

fn compose(args: &[&str]) -> String {
    let file = repo().join("docker-compose.yml");
    let output = run(Command::new(tool("docker-compose")).arg("--file").arg(&file).args(args));
    String::from_utf8(output.stdout).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_sequence().map(|s| s.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn env_of(service: &Value) -> Env {
    service["environment"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let value = v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string()));
                    (k.as_str().unwrap().to_owned(), value.unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `(published, target)` of each published port.
fn published(service: &Value) -> Vec<(u64, u64)> {
    let ports = service["ports"].as_sequence().cloned().unwrap_or_default();
    ports.iter().filter_map(|p| Some((p["published"].as_u64()?, p["target"].as_u64()?))).collect()
}

#[test]
fn compose_validates_and_agrees_with_the_code() {
    compose(&["config", "--quiet"]);
    let config: Value = integration_tests::yaml_serde::from_str(&compose(&["config"])).unwrap();
    let services = config["services"].as_mapping().expect("services");
    let service = |name: &str| services.get(name).unwrap_or_else(|| panic!("compose has a `{name}` service"));

    // What the init service generates is what the components read.
    let generated = tempfile::tempdir().unwrap();
    run(shop().args(["generate-secrets", "--dir"]).arg(generated.path()));
    let secret_files: BTreeSet<String> = std::fs::read_dir(generated.path())
        .unwrap()
        .map(|entry| format!("/secrets/{}", entry.unwrap().file_name().to_string_lossy()))
        .collect();
    assert_eq!(strings(&service("secrets")["command"]), ["generate-secrets", "--dir", "/secrets"]);

    let databases = std::fs::read_to_string(repo().join("k8s/components/postgres/create-databases.sql")).unwrap();
    for component in COMPONENTS {
        let spec = service(component);
        let env = env_of(spec);
        let args = strings(&spec["command"]);
        assert_eq!(args, ["serve", component], "{component}'s command");
        assert_starts_with(&format!("compose {component}"), &args, &env);
        assert_eq!(spec["read_only"].as_bool(), Some(true), "{component} runs on a read-only root filesystem");
        let port = listen_port(component, &env);

        let probe = strings(&spec["healthcheck"]["test"]);
        let target = if component == "edge" {
            format!("http://127.0.0.1:{port}/readyz")
        } else {
            format!("grpc://127.0.0.1:{port}")
        };
        assert_eq!(probe, ["CMD", "/usr/local/bin/shop", "probe", &target], "{component}'s health check");
        assert!(admin_port(&env).is_some(), "{component} serves metrics on an admin port");

        let depends = spec["depends_on"].as_mapping().expect("depends_on");
        let healthy = |name: &str| depends.get(name).and_then(|d| d["condition"].as_str()) == Some("service_healthy");
        for (upstream, url) in upstream_urls(&env) {
            let (host, url_port) = host_port(&url);
            assert_eq!(host, upstream, "{component}: {url} names the `{upstream}` service");
            let upstream_env = env_of(service(&upstream));
            assert_eq!(
                url_port,
                listen_port(&upstream, &upstream_env),
                "{component}: {url} is where {upstream} listens"
            );
            assert!(healthy(&upstream), "{component} starts once {upstream} is healthy");
        }
        if DATABASE_OWNERS.contains(&component) {
            let (host, db_port) = host_port(&env["DATABASE_URL"]);
            assert_eq!((host.as_str(), db_port), ("postgres", 5432), "{component}'s database");
            assert!(healthy("postgres"), "{component} starts once PostgreSQL is healthy");
            assert!(
                databases.contains(&format!("CREATE DATABASE {component};")),
                "the init script creates {component}'s database"
            );
        }
        for (name, value) in env.iter().filter(|(name, _)| name.ends_with("_FILE")) {
            assert!(secret_files.contains(value), "{component}: {name}={value} is a generated secret");
        }
        let (otlp_host, otlp_port) = host_port(&env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        assert_eq!((otlp_host.as_str(), otlp_port), ("jaeger", 4317), "{component} exports to Jaeger");
        println!("compose {component}: starts with its settings, listens on {port}, callers and health check agree");
    }
    let edge_port = u64::from(listen_port("edge", &env_of(service("edge"))));
    assert!(published(service("edge")).contains(&(8080, edge_port)), "the edge is published on 8080");
    assert!(published(service("jaeger")).contains(&(16686, 16686)), "Jaeger's UI is published");
}

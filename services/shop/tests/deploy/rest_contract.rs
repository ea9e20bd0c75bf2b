//! schemathesis, with every check it has, against the running mesh's own
//! OpenAPI document, on SQLite and on PostgreSQL: each operation is called with generated valid and
//! invalid requests (boundary values first, then random ones, then
//! sequences that follow the document's links), once as a customer and once
//! as an admin, and every answer must be one the document lists, in the
//! shape it gives, with no server error. The run is bounded
//! (`SCHEMATHESIS_MAX_EXAMPLES` per operation and phase, 25 by default) and
//! reproducible (`SCHEMATHESIS_SEED`, 1 by default); `make rest-contract`
//! runs a longer one. What JSON Schema cannot say is in
//! `.ci/schemathesis.toml`.

use std::process::Command;

use serde_json::{Value, json};

use integration_tests::Backend;

use crate::{
    processes::Mesh,
    tools::{repo, tool},
};

fn setting(name: &str, default: u32) -> String {
    std::env::var(name).ok().filter(|v| v.parse::<u32>().is_ok()).unwrap_or_else(|| default.to_string())
}

async fn token(client: &reqwest::Client, url: String, body: Value) -> String {
    let session: Value = client.post(url).json(&body).send().await.unwrap().json().await.unwrap();
    session["access_token"].as_str().unwrap_or_else(|| panic!("a session: {session}")).to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_answer_the_document_does_not_promise_on_sqlite() {
    contract(Backend::Sqlite).await;
}

#[cfg(postgres_tests)]
#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_answer_the_document_does_not_promise_on_postgres() {
    contract(Backend::Postgres).await;
}

async fn contract(backend: Backend) {
    let mesh = Mesh::start(backend).await;
    let edge = &mesh.edge;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let customer = json!({"email": "contract@example.com", "password": "correct horse", "name": "Contract"});
    let customer = token(&client, format!("{edge}/api/v1/users/register"), customer).await;
    let admin = token(&client, format!("{edge}/api/v1/users/login"), Mesh::admin_credentials()).await;
    let (examples, seed) = (setting("SCHEMATHESIS_MAX_EXAMPLES", 25), setting("SCHEMATHESIS_SEED", 1));

    for (who, token) in [("customer", customer), ("admin", admin)] {
        let output = Command::new(tool("st"))
            .arg("--no-color")
            .arg("--config-file")
            .arg(repo().join(".ci/schemathesis.toml"))
            .args(["run", &format!("{edge}/api/v1/openapi.json"), "--url", edge])
            .args(["--checks", "all", "--max-examples", &examples, "--seed", &seed, "--workers", "2"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--generation-database", "none"])
            .output()
            .expect("schemathesis runs");
        let report = String::from_utf8_lossy(&output.stdout);
        let summary = report.rsplit("SUMMARY").next().unwrap_or_default();
        println!("schemathesis on {backend:?} as {who} (max examples {examples}, seed {seed}):{summary}");
        assert!(
            output.status.success(),
            "schemathesis on {backend:?} as {who} found failures (logs in {}):\n{report}\n{}",
            mesh.dir().display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

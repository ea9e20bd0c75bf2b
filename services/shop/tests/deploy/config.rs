//! What the code says about a component: the ports it listens on, and
//! whether a set of settings would start it (the binary's own
//! `shop serve --check`, with exactly those variables).

use std::{collections::BTreeMap, net::SocketAddr, process::Stdio};

use clap::CommandFactory;

/// Every component `shop serve` runs.
pub const COMPONENTS: [&str; 7] = ["users", "products", "cart", "orders", "payments", "notifications", "edge"];

/// The services that own a database.
pub const DATABASE_OWNERS: [&str; 6] = ["users", "products", "cart", "orders", "payments", "notifications"];

/// Environment variables by name.
pub type Env = BTreeMap<String, String>;

fn listen_var(component: &str) -> &'static str {
    if component == "edge" { "HTTP_LISTEN_ADDR" } else { "GRPC_LISTEN_ADDR" }
}

/// The default the code gives the variable `var` of `component`.
fn default_of(component: &str, var: &str) -> Option<String> {
    let cli = shop::Cli::command();
    let serve = cli.find_subcommand("serve")?;
    let command = serve.find_subcommand(component)?;
    let arg = command.get_arguments().find(|arg| arg.get_env().is_some_and(|env| env == var))?;
    arg.get_default_values().first().map(|value| value.to_string_lossy().into_owned())
}

/// The port `component` serves its API on, given `env`.
pub fn listen_port(component: &str, env: &Env) -> u16 {
    let var = listen_var(component);
    let addr = env.get(var).cloned().or_else(|| default_of(component, var)).expect("a listen address");
    addr.parse::<SocketAddr>().unwrap_or_else(|e| panic!("{component}: {var}={addr}: {e}")).port()
}

/// The port `component` serves metrics on, given `env`, if any.
pub fn admin_port(env: &Env) -> Option<u16> {
    env.get("ADMIN_LISTEN_ADDR").map(|addr| addr.parse::<SocketAddr>().expect("ADMIN_LISTEN_ADDR").port())
}

/// Whether `component` accepts `env` (nothing else set): the binary parses
/// and checks it as it would at start-up. Panics with its complaint if not.
pub fn assert_starts_with(where_: &str, args: &[String], env: &Env) {
    assert_eq!(args.first().map(String::as_str), Some("serve"), "{where_}: runs `shop serve <component>`: {args:?}");
    let output = crate::tools::shop()
        .arg("serve")
        .arg("--check")
        .args(&args[1..])
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{where_}: `shop {}` would not start with its settings {:?}:\n{}",
        args.join(" "),
        env.keys().collect::<Vec<_>>(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `(host, port)` of an `http://host:port` URL.
pub fn host_port(url: &str) -> (String, u16) {
    let uri: http::Uri = url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
    (uri.host().expect("a host").to_owned(), uri.port_u16().expect("a port"))
}

/// The `*_URL` variables that name another component, and the component.
pub fn upstream_urls(env: &Env) -> Vec<(String, String)> {
    env.iter()
        .filter(|(name, _)| {
            name.ends_with("_URL") && COMPONENTS.iter().any(|c| name.as_str() == format!("{}_URL", c.to_uppercase()))
        })
        .map(|(name, value)| (name.trim_end_matches("_URL").to_lowercase(), value.clone()))
        .collect()
}

//! The NetworkPolicies, evaluated as Kubernetes does, against the calls the
//! mesh makes: derived from the rendered `*_URL`, `DATABASE_URL` and
//! `OTEL_EXPORTER_OTLP_ENDPOINT` settings (and `NATS_URL`, `SMTP_URL`), plus the ingress controller to
//! the edge, Prometheus to the metrics ports, and DNS. Every connection
//! between every pair of pods (and the outside actors) on every declared
//! port is allowed exactly when it is one of those calls.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::Ipv4Addr,
};

use integration_tests::yaml_serde::Value;

use crate::{
    config::{COMPONENTS, DATABASE_OWNERS, Env, admin_port, host_port, upstream_urls},
    rendered::{Rendered, seq, text},
};

/// The overlays' namespace.
const NAMESPACE: &str = "shop";

/// Something that opens or accepts connections.
#[derive(Clone, Debug)]
struct Actor {
    name: String,
    namespace: String,
    labels: BTreeMap<String, String>,
    /// `(port, protocol, port name)`.
    ports: Vec<(u16, String, String)>,
    /// Set for an address outside the cluster (ipBlock peers match it).
    ip: Option<Ipv4Addr>,
}

fn labels(map: &Value) -> BTreeMap<String, String> {
    map.as_mapping()
        .map(|m| m.iter().map(|(k, v)| (text(k).to_owned(), text(v).to_owned())).collect())
        .unwrap_or_default()
}

fn outside(name: &str, namespace: &str, labels: &[(&str, &str)], ports: &[(u16, &str)]) -> Actor {
    Actor {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        labels: labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        ports: ports.iter().map(|(p, proto)| (*p, (*proto).to_owned(), String::new())).collect(),
        ip: None,
    }
}

/// Every pod template in the overlay, and the actors around the mesh.
fn actors(rendered: &Rendered) -> Vec<Actor> {
    let mut actors: Vec<Actor> = rendered
        .all("Deployment")
        .chain(rendered.all("StatefulSet"))
        .map(|workload| {
            let pod = &workload["spec"]["template"];
            let ports = seq(&pod["spec"]["containers"])
                .iter()
                .flat_map(|c| seq(&c["ports"]))
                .map(|p| {
                    let protocol = p["protocol"].as_str().unwrap_or("TCP").to_owned();
                    (
                        u16::try_from(p["containerPort"].as_u64().unwrap()).unwrap(),
                        protocol,
                        text(&p["name"]).to_owned(),
                    )
                })
                .collect();
            Actor {
                name: text(&workload["metadata"]["name"]).to_owned(),
                namespace: NAMESPACE.to_owned(),
                labels: labels(&pod["metadata"]["labels"]),
                ports,
                ip: None,
            }
        })
        .collect();
    actors.push(outside("kube-dns", "kube-system", &[("k8s-app", "kube-dns")], &[(53, "UDP"), (53, "TCP")]));
    actors.push(outside("ingress-controller", "ingress-nginx", &[("app.kubernetes.io/name", "ingress-nginx")], &[]));
    actors.push(outside("prometheus", "monitoring", &[("app.kubernetes.io/name", "prometheus")], &[]));
    if rendered.overlay == "prod" {
        let collector = [("shop.example/otlp-collector", "true")];
        actors.push(outside("otel-collector", "observability", &collector, &[(4317, "TCP")]));
        actors.push(outside("nats", "messaging", &[("shop.example/nats", "true")], &[(4222, "TCP")]));
        actors.push(outside("smtp-relay", "mail", &[("shop.example/smtp-relay", "true")], &[(25, "TCP")]));
        let mut database = outside("database", "", &[], &[(5432, "TCP")]);
        database.ip = Some(Ipv4Addr::new(10, 64, 0, 10));
        actors.push(database);
    }
    actors
}

/// A label selector (matchLabels and matchExpressions) over `labels`.
fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let wanted = self::labels(&selector["matchLabels"]);
    if !wanted.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    seq(&selector["matchExpressions"]).iter().all(|expression| {
        let value = labels.get(text(&expression["key"]));
        let values: Vec<&str> = seq(&expression["values"]).iter().map(text).collect();
        match text(&expression["operator"]) {
            "In" => value.is_some_and(|v| values.contains(&v.as_str())),
            "NotIn" => value.is_none_or(|v| !values.contains(&v.as_str())),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            other => panic!("unknown selector operator {other}"),
        }
    })
}

fn namespace_labels(namespace: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("kubernetes.io/metadata.name".to_owned(), namespace.to_owned())])
}

/// Whether a rule's peer (`from` / `to` entry) is `actor`.
fn peer_matches(peer: &Value, actor: &Actor) -> bool {
    if let Some(cidr) = peer["ipBlock"]["cidr"].as_str() {
        let (network, bits) = cidr.split_once('/').unwrap();
        let (network, bits): (Ipv4Addr, u32) = (network.parse().unwrap(), bits.parse().unwrap());
        let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
        return actor.ip.is_some_and(|ip| u32::from(ip) & mask == u32::from(network) & mask);
    }
    if actor.ip.is_some() {
        return false;
    }
    let namespace_ok = if peer["namespaceSelector"].is_null() {
        actor.namespace == NAMESPACE
    } else {
        selects(&peer["namespaceSelector"], &namespace_labels(&actor.namespace))
    };
    namespace_ok && (peer["podSelector"].is_null() || selects(&peer["podSelector"], &actor.labels))
}

/// Whether a rule's `ports` admit `port` of `target`.
fn port_matches(rule: &Value, target: &Actor, port: &(u16, String, String)) -> bool {
    let ports = seq(&rule["ports"]);
    ports.is_empty()
        || ports.iter().any(|p| {
            let protocol = p["protocol"].as_str().unwrap_or("TCP");
            let number = match &p["port"] {
                Value::Number(n) => n.as_u64().map(|n| u16::try_from(n).unwrap()),
                Value::String(name) => target.ports.iter().find(|(_, _, n)| n == name).map(|(p, _, _)| *p),
                _ => None,
            };
            let end = p["endPort"].as_u64().map(|e| u16::try_from(e).unwrap());
            protocol == port.1 && number.is_none_or(|start| port.0 >= start && port.0 <= end.unwrap_or(start))
        })
}

/// Whether the policies let `actor` send (`Egress`) to, or receive
/// (`Ingress`) from, `peer` on `port` (a port of the receiving side).
fn admits(
    rendered: &Rendered,
    direction: &str,
    actor: &Actor,
    peer: &Actor,
    receiver: &Actor,
    port: &(u16, String, String),
) -> bool {
    if actor.namespace != NAMESPACE {
        return true;
    }
    let (rules_key, peers_key) = if direction == "Egress" { ("egress", "to") } else { ("ingress", "from") };
    let policies: Vec<&Value> = rendered
        .all("NetworkPolicy")
        .filter(|p| seq(&p["spec"]["policyTypes"]).iter().any(|t| text(t) == direction))
        .filter(|p| selects(&p["spec"]["podSelector"], &actor.labels))
        .collect();
    policies.is_empty()
        || policies.iter().flat_map(|p| seq(&p["spec"][rules_key])).any(|rule| {
            let peers = seq(&rule[peers_key]);
            (peers.is_empty() || peers.iter().any(|p| peer_matches(p, peer))) && port_matches(rule, receiver, port)
        })
}

/// Every `(from, to, port/protocol)` the policies allow.
fn allowed(rendered: &Rendered, actors: &[Actor]) -> BTreeSet<(String, String, String)> {
    let mut allowed = BTreeSet::new();
    for from in actors {
        for to in actors {
            if from.name == to.name || (from.namespace != NAMESPACE && to.namespace != NAMESPACE) {
                continue;
            }
            for port in &to.ports {
                if admits(rendered, "Egress", from, to, to, port) && admits(rendered, "Ingress", to, from, to, port) {
                    allowed.insert((from.name.clone(), to.name.clone(), format!("{}/{}", port.0, port.1)));
                }
            }
        }
    }
    allowed
}

/// The calls the mesh makes, from its rendered settings.
fn expected(rendered: &Rendered, envs: &BTreeMap<&str, Env>, actors: &[Actor]) -> BTreeSet<(String, String, String)> {
    let call = |from: &str, to: &str, port: u16, protocol: &str| {
        (from.to_owned(), to.to_owned(), format!("{port}/{protocol}"))
    };
    let mut calls = BTreeSet::new();
    for (component, env) in envs {
        for (upstream, url) in upstream_urls(env) {
            calls.insert(call(component, &upstream, host_port(&url).1, "TCP"));
        }
        let otlp = host_port(&env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        let collector = if rendered.overlay == "dev" { otlp.0.clone() } else { "otel-collector".to_owned() };
        calls.insert(call(component, &collector, otlp.1, "TCP"));
        if DATABASE_OWNERS.contains(component) {
            let database = if rendered.overlay == "dev" { "postgres" } else { "database" };
            calls.insert(call(component, database, 5432, "TCP"));
        }
        // Events go over NATS; its pods are named by the URL's first label.
        if let Some(url) = env.get("NATS_URL") {
            let (host, port) = host_port(&url.replacen("nats://", "http://", 1));
            calls.insert(call(component, host.split('.').next().unwrap_or_default(), port, "TCP"));
        }
        // Mail goes to the SMTP relay (the prod overlay's is the operator's Secret).
        if let Some(url) = env.get("SMTP_URL") {
            let (relay, port) = match rendered.overlay {
                "dev" => host_port(&url.replacen("smtp://", "http://", 1)),
                _ => ("smtp-relay".to_owned(), 25),
            };
            calls.insert(call(component, &relay, port, "TCP"));
        }
        // Prometheus scrapes each admin (metrics) port.
        let scraped = admin_port(env).expect("an admin port");
        calls.insert(call("prometheus", component, scraped, "TCP"));
    }
    // The edge is public: whatever is outside the namespace may reach it.
    let edge_port = crate::config::listen_port("edge", &envs["edge"]);
    for actor in actors.iter().filter(|a| a.namespace != NAMESPACE) {
        calls.insert(call(&actor.name, "edge", edge_port, "TCP"));
    }
    for actor in actors.iter().filter(|a| a.namespace == NAMESPACE) {
        calls.insert(call(&actor.name, "kube-dns", 53, "UDP"));
        calls.insert(call(&actor.name, "kube-dns", 53, "TCP"));
    }
    calls
}

/// The resolved environment of each component's container.
fn component_envs(rendered: &Rendered) -> BTreeMap<&'static str, Env> {
    COMPONENTS
        .iter()
        .map(|&component| {
            let pod = &rendered.get("Deployment", component).unwrap()["spec"]["template"]["spec"];
            (component, rendered.env_of(&seq(&pod["containers"])[0], &mut BTreeSet::new()))
        })
        .collect()
}

fn assert_exactly_the_calls(overlay: &'static str) {
    let rendered = Rendered::overlay(overlay);
    let actors = actors(&rendered);
    let allowed = allowed(&rendered, &actors);
    let expected = expected(&rendered, &component_envs(&rendered), &actors);
    let extra: Vec<_> = allowed.difference(&expected).collect();
    let blocked: Vec<_> = expected.difference(&allowed).collect();
    assert!(
        extra.is_empty() && blocked.is_empty(),
        "{overlay}: allowed but not made: {extra:#?}\nmade but blocked: {blocked:#?}"
    );
    println!(
        "{overlay}: the NetworkPolicies allow exactly the mesh's {} calls among {} actors",
        expected.len(),
        actors.len()
    );
}

#[test]
fn dev_network_policies_allow_exactly_the_calls_the_mesh_makes() {
    assert_exactly_the_calls("dev");
}

#[test]
fn prod_network_policies_allow_exactly_the_calls_the_mesh_makes() {
    assert_exactly_the_calls("prod");
}

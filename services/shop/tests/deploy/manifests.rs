//! Both overlays, rendered and validated, held against the code: every
//! component starts with the settings its Deployment gives it (the binary
//! says so itself), listens where its ports, probes, Service and callers
//! say, finds every Secret and ConfigMap it names, runs locked down, drains
//! in time, and is scaled and protected as its overlay promises.

use std::collections::BTreeSet;

use integration_tests::yaml_serde::Value;

use crate::{
    config::{COMPONENTS, DATABASE_OWNERS, Env, admin_port, assert_starts_with, host_port, listen_port, upstream_urls},
    rendered::{Rendered, name, seq, text},
    tools::repo,
};

/// What the prod overlay expects the operator to create (README "Kubernetes").
const PROD_EXTERNAL: [&str; 9] = [
    "shop-admin",
    "shop-database",
    "shop-jwt-public",
    "shop-jwt-signing",
    "shop-notifications-credentials",
    "shop-orders-credentials",
    "shop-service-clients",
    "shop-smtp",
    "shop-tls",
];

/// One component's Deployment, its container and its resolved environment.
struct Component<'a> {
    name: &'static str,
    deployment: &'a Value,
    container: &'a Value,
    env: Env,
}

impl Component<'_> {
    fn pod(&self) -> &Value {
        &self.deployment["spec"]["template"]["spec"]
    }

    fn port_named(&self, port_name: &str) -> Option<u16> {
        seq(&self.container["ports"])
            .iter()
            .find(|p| text(&p["name"]) == port_name)
            .and_then(|p| p["containerPort"].as_u64())
            .map(|p| u16::try_from(p).unwrap())
    }

    /// A probe's or Service's port, by number or by name.
    fn resolve(&self, port: &Value) -> Option<u16> {
        port.as_u64().map(|p| u16::try_from(p).unwrap()).or_else(|| self.port_named(text(port)))
    }
}

fn components<'a>(rendered: &'a Rendered, missing: &mut BTreeSet<String>) -> Vec<Component<'a>> {
    COMPONENTS
        .iter()
        .map(|&component| {
            let deployment = rendered.get("Deployment", component).unwrap_or_else(|| panic!("{component} deploys"));
            let containers = seq(&deployment["spec"]["template"]["spec"]["containers"]);
            assert_eq!(containers.len(), 1, "{component}: one container");
            let container = &containers[0];
            let env = rendered.env_of(container, missing);
            Component { name: component, deployment, container, env }
        })
        .collect()
}

/// Locked down: non-root, read-only root filesystem, no capabilities,
/// RuntimeDefault seccomp, no privilege escalation.
fn assert_locked_down(what: &str, pod: &Value) {
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true), "{what}: runAsNonRoot");
    assert_eq!(text(&pod["securityContext"]["seccompProfile"]["type"]), "RuntimeDefault", "{what}: seccomp");
    for container in seq(&pod["containers"]) {
        let security = &container["securityContext"];
        assert_eq!(security["readOnlyRootFilesystem"].as_bool(), Some(true), "{what}: read-only root");
        assert_eq!(security["allowPrivilegeEscalation"].as_bool(), Some(false), "{what}: no escalation");
        let dropped: Vec<&str> = seq(&security["capabilities"]["drop"]).iter().map(text).collect();
        assert_eq!(dropped, ["ALL"], "{what}: every capability dropped");
        let resources = &container["resources"];
        for field in ["requests.cpu", "requests.memory", "limits.memory"] {
            let (group, resource) = field.split_once('.').unwrap();
            assert!(resources[group][resource].as_str().is_some(), "{what}: {field} is set");
        }
    }
}

fn assert_matches_code(rendered: &Rendered, component: &Component<'_>) {
    let (what, env) = (format!("{} {}", rendered.overlay, component.name), &component.env);
    let args: Vec<String> = seq(&component.container["args"]).iter().map(|a| text(a).to_owned()).collect();
    assert_eq!(args, ["serve", component.name], "{what}: its command");
    assert_starts_with(&what, &args, env);
    assert_locked_down(&what, component.pod());

    let port = listen_port(component.name, env);
    let api_port = if component.name == "edge" { "http" } else { "grpc" };
    assert_eq!(component.port_named(api_port), Some(port), "{what}: containerPort {api_port} is where it listens");
    let scraped = admin_port(env).expect("a metrics port");
    assert_ne!(scraped, port, "{what}: metrics are off the port it serves its API on");
    assert_eq!(component.port_named("metrics"), Some(scraped), "{what}: containerPort metrics");
    let annotations = &component.deployment["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(text(&annotations["prometheus.io/port"]), scraped.to_string(), "{what}: scrape annotation");

    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        let probe_spec = &component.container[probe];
        let probed = if component.name == "edge" {
            assert_eq!(text(&probe_spec["httpGet"]["path"]), "/healthz", "{what}: {probe}");
            component.resolve(&probe_spec["httpGet"]["port"])
        } else {
            assert!(probe_spec["grpc"]["service"].is_null(), "{what}: {probe} asks the overall status");
            component.resolve(&probe_spec["grpc"]["port"])
        };
        assert_eq!(probed, Some(port), "{what}: {probe} probes the port it listens on");
    }

    let pre_stop = component.container["lifecycle"]["preStop"]["sleep"]["seconds"].as_u64().expect("a preStop sleep");
    let drain: u64 = env["SHUTDOWN_DRAIN_SECS"].parse().unwrap();
    let grace = component.pod()["terminationGracePeriodSeconds"].as_u64().expect("a grace period");
    assert!(grace > pre_stop + drain, "{what}: {grace} s of grace covers {pre_stop} s preStop + {drain} s drain");
    let resolve: u64 = env["GRPC_RESOLVE_INTERVAL_MS"].parse().unwrap();
    assert!(pre_stop * 1000 >= 2 * resolve, "{what}: callers re-resolve (every {resolve} ms) within the preStop sleep");

    // The Service callers use: named like the component, on its port.
    let service = rendered.get("Service", component.name).unwrap_or_else(|| panic!("{what}: a Service"));
    let selector = text(&service["spec"]["selector"]["app.kubernetes.io/name"]);
    assert_eq!(selector, component.name, "{what}: the Service selects its pods");
    let service_port = &seq(&service["spec"]["ports"])[0];
    assert_eq!(component.resolve(&service_port["targetPort"]), Some(port), "{what}: the Service targets its port");
    if component.name != "edge" {
        assert_eq!(text(&service["spec"]["clusterIP"]), "None", "{what}: headless, so callers see every pod");
        assert_eq!(service_port["port"].as_u64(), Some(u64::from(port)), "{what}: the Service port is its port");
    }
    assert!(
        rendered
            .all("PodDisruptionBudget")
            .any(|pdb| text(&pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]) == component.name),
        "{what}: a PodDisruptionBudget"
    );

    // Every *_URL names a Service that leads to that component's port.
    for (upstream, url) in upstream_urls(env) {
        let (host, url_port) = host_port(&url);
        assert_eq!(host, upstream, "{what}: {url} names the {upstream} Service");
        let target = rendered.get("Service", &host).unwrap_or_else(|| panic!("{what}: {url}: no Service {host}"));
        let ports: Vec<u64> = seq(&target["spec"]["ports"]).iter().filter_map(|p| p["port"].as_u64()).collect();
        assert!(ports.contains(&u64::from(url_port)), "{what}: {url}: Service {host} has port {url_port}");
    }
    if DATABASE_OWNERS.contains(&component.name) {
        let url = &env["DATABASE_URL"];
        assert!(url.starts_with("postgres://") || url.starts_with("Secret:"), "{what}: PostgreSQL only, never SQLite");
    }

    // Every *_FILE lies in a mounted volume that holds that key.
    for (var, path) in env.iter().filter(|(var, _)| var.ends_with("_FILE")) {
        let (dir, file) = path.rsplit_once('/').unwrap();
        let mount = seq(&component.container["volumeMounts"])
            .iter()
            .find(|m| text(&m["mountPath"]) == dir)
            .unwrap_or_else(|| panic!("{what}: {var}={path}: nothing is mounted at {dir}"));
        let volume = seq(&component.pod()["volumes"])
            .iter()
            .find(|v| text(&v["name"]) == text(&mount["name"]))
            .unwrap_or_else(|| panic!("{what}: volume {:?}", mount["name"]));
        let (kind, object) = if let Some(secret) = volume["secret"]["secretName"].as_str() {
            ("Secret", secret)
        } else {
            ("ConfigMap", text(&volume["configMap"]["name"]))
        };
        if let Some(found) = rendered.get(kind, object) {
            assert!(!found["data"][file].is_null(), "{what}: {var}: {kind} {object} holds {file}");
        } else {
            assert_eq!(rendered.overlay, "prod", "{what}: {kind} {object} exists in dev");
            assert!(PROD_EXTERNAL.contains(&object), "{what}: {object} is a documented prod secret");
        }
    }
    println!("{what}: starts with its settings; listens on {port}; ports, probes, Service, callers and secrets agree");
}

/// Names of every Secret and ConfigMap a pod refers to.
fn referenced(rendered: &Rendered) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let pods = rendered.all("Deployment").chain(rendered.all("StatefulSet")).map(|o| &o["spec"]["template"]["spec"]);
    for pod in pods {
        for volume in seq(&pod["volumes"]) {
            names.extend(volume["secret"]["secretName"].as_str().map(str::to_owned));
            names.extend(volume["configMap"]["name"].as_str().map(str::to_owned));
        }
        for container in seq(&pod["containers"]) {
            for var in seq(&container["env"]) {
                names.extend(var["valueFrom"]["secretKeyRef"]["name"].as_str().map(str::to_owned));
            }
            for source in seq(&container["envFrom"]) {
                names.extend(source["configMapRef"]["name"].as_str().map(str::to_owned));
            }
        }
    }
    for ingress in rendered.all("Ingress") {
        for tls in seq(&ingress["spec"]["tls"]) {
            names.extend(tls["secretName"].as_str().map(str::to_owned));
        }
    }
    names
}

#[test]
fn the_dev_overlay_agrees_with_the_code() {
    let rendered = Rendered::overlay("dev");
    let mut missing = BTreeSet::new();
    let components = components(&rendered, &mut missing);
    assert!(missing.is_empty(), "dev renders every Secret it reads: {missing:?}");
    let databases = std::fs::read_to_string(repo().join("k8s/components/postgres/create-databases.sql")).unwrap();
    for component in &components {
        assert_matches_code(&rendered, component);
        assert_eq!(component.deployment["spec"]["replicas"].as_u64(), Some(1), "dev: one replica");
        if DATABASE_OWNERS.contains(&component.name) {
            let (host, port) = host_port(&component.env["DATABASE_URL"]);
            assert_eq!((host.as_str(), port), ("postgres", 5432), "{}: the in-namespace PostgreSQL", component.name);
            assert!(databases.contains(&format!("CREATE DATABASE {};", component.name)));
            assert!(component.env.contains_key("DATABASE_PASSWORD_FILE"), "{}: its password", component.name);
        }
        let (otlp, port) = host_port(&component.env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        assert!(rendered.get("Service", &otlp).is_some() && port == 4317, "{}: exports to Jaeger", component.name);
    }
    let postgres = rendered.get("StatefulSet", "postgres").expect("PostgreSQL as a StatefulSet");
    assert_locked_down("dev postgres", &postgres["spec"]["template"]["spec"]);
    assert!(!seq(&postgres["spec"]["volumeClaimTemplates"]).is_empty(), "PostgreSQL keeps its data on a PVC");
    assert_locked_down(
        "dev jaeger",
        &rendered.get("Deployment", "jaeger").expect("Jaeger")["spec"]["template"]["spec"],
    );
    let missing: Vec<String> = referenced(&rendered)
        .into_iter()
        .filter(|n| rendered.get("Secret", n).is_none() && rendered.get("ConfigMap", n).is_none())
        .collect();
    assert!(missing.is_empty(), "every Secret and ConfigMap referenced exists in dev: missing {missing:?}");
    assert_eq!(rendered.all("HorizontalPodAutoscaler").count(), 0, "dev does not autoscale");
}

#[test]
fn the_prod_overlay_agrees_with_the_code_and_scales() {
    let rendered = Rendered::overlay("prod");
    let components = components(&rendered, &mut BTreeSet::new());
    for component in &components {
        assert_matches_code(&rendered, component);
        assert!(component.deployment["spec"]["replicas"].is_null(), "{}: the autoscaler owns replicas", component.name);
        let hpa = rendered
            .all("HorizontalPodAutoscaler")
            .find(|h| text(&h["spec"]["scaleTargetRef"]["name"]) == component.name)
            .unwrap_or_else(|| panic!("{}: a HorizontalPodAutoscaler", component.name));
        assert_eq!(text(&hpa["spec"]["scaleTargetRef"]["kind"]), "Deployment");
        let min = hpa["spec"]["minReplicas"].as_u64().unwrap();
        assert!(min >= 2 && hpa["spec"]["maxReplicas"].as_u64().unwrap() > min, "{}: 2+ replicas", component.name);
    }
    assert!(rendered.get("StatefulSet", "postgres").is_none(), "prod uses an external PostgreSQL");
    let external: BTreeSet<String> = referenced(&rendered)
        .into_iter()
        .filter(|n| rendered.get("Secret", n).is_none() && rendered.get("ConfigMap", n).is_none())
        .collect();
    let documented: BTreeSet<String> = PROD_EXTERNAL.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(external, documented, "prod refers to exactly the objects the README tells operators to create");
    let ingress = rendered.get("Ingress", "edge").expect("an Ingress");
    assert!(!seq(&ingress["spec"]["tls"]).is_empty(), "prod serves TLS");
    let _ = name;
}

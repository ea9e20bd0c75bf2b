//! The Kubernetes overlays as kubectl renders them (with freshly generated
//! dev secrets), validated against the Kubernetes 1.30 schemas, and looked
//! up by kind and name.

use std::{collections::BTreeSet, path::Path, process::Command};

use base64::Engine as _;
use integration_tests::yaml_serde::{self, Value};
use serde::Deserialize;

use crate::{
    config::Env,
    tools::{repo, run, shop, tool},
};

/// The Kubernetes version the manifests are held to.
pub const KUBERNETES_VERSION: &str = "1.30";

/// One overlay's objects.
pub struct Rendered {
    /// `dev` or `prod`.
    pub overlay: &'static str,
    /// Every object, in kubectl's order.
    pub objects: Vec<Value>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl Rendered {
    /// Renders `overlay` from a copy of k8s/ whose dev secrets are generated
    /// as the README says, and validates it strictly.
    pub fn overlay(overlay: &'static str) -> Self {
        let work = tempfile::tempdir().unwrap();
        let k8s = work.path().join("k8s");
        copy_dir(&repo().join("k8s"), &k8s);
        let secrets = k8s.join("overlays/dev/secrets");
        let _ = std::fs::remove_dir_all(&secrets);
        run(shop().args(["generate-secrets", "--dir"]).arg(&secrets));
        let output = run(Command::new(tool("kubectl")).arg("kustomize").arg(k8s.join("overlays").join(overlay)));
        let yaml = String::from_utf8(output.stdout).unwrap();
        let file = work.path().join(format!("{overlay}.yaml"));
        std::fs::write(&file, &yaml).unwrap();
        run(Command::new(tool("kubernetes-validate"))
            .args(["--kubernetes-version", KUBERNETES_VERSION, "--strict", "--quiet"])
            .arg(&file));
        let objects: Vec<Value> =
            yaml_serde::Deserializer::from_str(&yaml).map(|doc| Value::deserialize(doc).unwrap()).collect();
        println!("{overlay}: {} objects rendered, valid for Kubernetes {KUBERNETES_VERSION} (strict)", objects.len());
        Self { overlay, objects }
    }

    /// Objects of `kind`.
    pub fn all<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects.iter().filter(move |o| o["kind"].as_str() == Some(kind))
    }

    /// The object of `kind` named `name`.
    pub fn get(&self, kind: &str, name: &str) -> Option<&Value> {
        self.objects.iter().find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
    }

    /// Every variable `container` gets, from `envFrom` ConfigMaps and `env`
    /// (Secret values decoded). A Secret the overlay does not render is
    /// added to `missing`, and its variable gets a placeholder naming it.
    pub fn env_of(&self, container: &Value, missing: &mut BTreeSet<String>) -> Env {
        let mut env = Env::new();
        for source in seq(&container["envFrom"]) {
            let map = text(&source["configMapRef"]["name"]);
            let config = self.get("ConfigMap", map).unwrap_or_else(|| panic!("ConfigMap {map} is rendered"));
            for (key, value) in config["data"].as_mapping().unwrap() {
                env.insert(text(key).to_owned(), text(value).to_owned());
            }
        }
        for var in seq(&container["env"]) {
            let secret = &var["valueFrom"]["secretKeyRef"];
            let config = &var["valueFrom"]["configMapKeyRef"];
            let value = if let Some(value) = var["value"].as_str() {
                value.to_owned()
            } else if !config.is_null() {
                let map = text(&config["name"]);
                let found = self.get("ConfigMap", map).unwrap_or_else(|| panic!("ConfigMap {map} is rendered"));
                let key = text(&config["key"]);
                text(&found["data"][key]).to_owned()
            } else if secret.is_null() {
                panic!("unexpected variable source {var:?}")
            } else {
                self.secret_value(text(&secret["name"]), text(&secret["key"]), missing)
            };
            env.insert(text(&var["name"]).to_owned(), value);
        }
        env
    }

    fn secret_value(&self, object: &str, key: &str, missing: &mut BTreeSet<String>) -> String {
        let Some(found) = self.get("Secret", object) else {
            missing.insert(object.to_owned());
            return format!("Secret:{object}/{key}");
        };
        let encoded = found["data"][key].as_str().unwrap_or_else(|| panic!("Secret {object} has no key {key}"));
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap()
    }
}

/// A string field.
pub fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// A sequence field (empty when absent).
pub fn seq(value: &Value) -> &[Value] {
    value.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

/// An object's name.
pub fn name(object: &Value) -> &str {
    text(&object["metadata"]["name"])
}

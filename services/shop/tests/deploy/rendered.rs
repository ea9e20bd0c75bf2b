//! The Kubernetes overlays as kubectl renders them (with freshly generated
//! dev secrets), validated against the Kubernetes 1.30 schemas, and looked
//! up by kind and name.

use std::{path::Path, process::Command};

use integration_tests::yaml_serde::{self, Value};
use serde::Deserialize;

use crate::tools::{repo, run, shop, tool};

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

//! What the embedded default generates into the data dir on first run, and
//! what `shop generate-secrets` prepares for a deployment (compose's secrets
//! volume, the Kubernetes dev overlay's Secrets).

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use rand::{Rng, distr::Alphanumeric};
use shop_runtime::Secret;

/// File name of the generated admin password.
pub const ADMIN_PASSWORD_FILE: &str = "admin-password.txt";

/// The admin password, and whether it was generated on this run.
#[derive(Debug)]
pub struct AdminPassword {
    /// The password.
    pub password: Secret,
    /// Where it is kept, when it was generated rather than given.
    pub file: Option<PathBuf>,
    /// True on the run that generated it.
    pub new: bool,
}

/// The configured password, else the one stored in `data_dir`, else a new
/// one written there (mode 0600).
pub fn admin_password(given: Option<&Secret>, data_dir: &Path) -> io::Result<AdminPassword> {
    if let Some(password) = given {
        return Ok(AdminPassword { password: password.clone(), file: None, new: false });
    }
    let file = data_dir.join(ADMIN_PASSWORD_FILE);
    let new = !file.exists();
    let password = keep_or_generate(&file, 24)?;
    Ok(AdminPassword { password, file: Some(file), new })
}

/// The services that call others as themselves, each with a client secret
/// registered with users.
pub const SERVICE_CLIENT_IDS: &[&str] = &["orders", "notifications"];
/// File name of the PostgreSQL password.
pub const POSTGRES_PASSWORD_FILE: &str = "postgres-password";
/// File name of users' `SERVICE_CLIENTS_FILE`: `id=secret` for every client.
pub const SERVICE_CLIENTS_FILE: &str = "service-clients";

/// File name of a client's own secret (its `SERVICE_CLIENT_SECRET_FILE`).
pub fn client_secret_file(client_id: &str) -> String {
    format!("{client_id}-client-secret")
}

/// Makes sure `dir` holds every secret a deployment needs, generating only
/// the missing ones, so that running it again changes nothing. Returns the
/// files it created.
pub fn generate_deployment_secrets(dir: &Path) -> io::Result<Vec<String>> {
    fs::create_dir_all(dir)?;
    let before: Vec<_> = fs::read_dir(dir)?.filter_map(|e| Some(e.ok()?.file_name())).collect();
    shop_users::keys::load_or_generate(dir)?;
    admin_password(None, dir)?;
    keep_or_generate(&dir.join(POSTGRES_PASSWORD_FILE), 32)?;
    let mut clients = Vec::new();
    for id in SERVICE_CLIENT_IDS {
        let secret = keep_or_generate(&dir.join(client_secret_file(id)), 32)?;
        clients.push(format!("{id}={}", secret.expose()));
    }
    let registry = dir.join(SERVICE_CLIENTS_FILE);
    // Derived from the clients' own files, so always in step with them.
    match fs::remove_file(&registry) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    shop_users::keys::write_private(&registry, &clients.join(","))?;
    let mut created: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| Some(e.ok()?.file_name()))
        .filter(|name| !before.contains(name))
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    created.sort();
    Ok(created)
}

/// The secret in `file`, or a new one of `len` characters written there.
fn keep_or_generate(file: &Path, len: usize) -> io::Result<Secret> {
    if file.exists() {
        return Ok(Secret::new(fs::read_to_string(file)?.trim()));
    }
    let secret = random_secret(len);
    shop_users::keys::write_private(file, secret.expose())?;
    Ok(secret)
}

/// A random alphanumeric secret.
pub fn random_secret(len: usize) -> Secret {
    Secret::new(rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_password_is_generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = admin_password(None, dir.path()).unwrap();
        assert!(first.new);
        assert_eq!(first.password.expose().len(), 24);
        let second = admin_password(None, dir.path()).unwrap();
        assert!(!second.new);
        assert_eq!(second.password, first.password);
    }

    #[test]
    fn deployment_secrets_are_generated_once_and_agree_with_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let created = generate_deployment_secrets(dir.path()).unwrap();
        assert_eq!(
            created,
            [
                "admin-password.txt",
                "jwt-ed25519.pem",
                "jwt-ed25519.pub.pem",
                "notifications-client-secret",
                "orders-client-secret",
                "postgres-password",
                "service-clients"
            ]
        );
        let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap();
        let orders = read("orders-client-secret");
        let notifications = read("notifications-client-secret");
        assert_eq!(read("service-clients"), format!("orders={orders},notifications={notifications}"));
        let password = read("postgres-password");

        assert!(generate_deployment_secrets(dir.path()).unwrap().is_empty(), "a second run creates nothing");
        assert_eq!((read("orders-client-secret"), read("postgres-password")), (orders, password));
    }

    #[test]
    fn a_given_password_wins_and_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let given = Secret::new("given-password");
        let chosen = admin_password(Some(&given), dir.path()).unwrap();
        assert_eq!(chosen.password, given);
        assert!(!dir.path().join(ADMIN_PASSWORD_FILE).exists());
    }
}

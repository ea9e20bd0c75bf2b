//! What the embedded default generates into the data dir on first run.

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
    if file.exists() {
        let password = Secret::new(fs::read_to_string(&file)?.trim());
        return Ok(AdminPassword { password, file: Some(file), new: false });
    }
    let password = random_secret(24);
    shop_users::keys::write_private(&file, password.expose())?;
    Ok(AdminPassword { password, file: Some(file), new: true })
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
    fn a_given_password_wins_and_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let given = Secret::new("given-password");
        let chosen = admin_password(Some(&given), dir.path()).unwrap();
        assert_eq!(chosen.password, given);
        assert!(!dir.path().join(ADMIN_PASSWORD_FILE).exists());
    }
}

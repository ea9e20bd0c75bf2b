//! The mails the notifications service wrote to its mail directory (one
//! .eml file per mail), read back: headers unfolded, the plain-text part.

use std::{path::Path, time::Duration};

use crate::{TestMesh, eventually};

/// One mail as the directory holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The file's name.
    pub file: String,
    /// `Message-ID`, without the angle brackets.
    pub message_id: String,
    /// `To`.
    pub to: String,
    /// `Subject`.
    pub subject: String,
    /// The whole file.
    pub raw: String,
}

impl Mail {
    /// Whether it is addressed to `address`.
    pub fn is_to(&self, address: &str) -> bool {
        self.to.contains(address)
    }
}

/// Every mail in `dir`, by file name (partial files are not mails yet).
pub fn read_mails(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut mails: Vec<Mail> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".eml"))
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|entry| {
            let raw = std::fs::read_to_string(entry.path()).ok()?;
            Some(parse(entry.file_name().to_string_lossy().into_owned(), raw))
        })
        .collect();
    mails.sort_by(|a, b| a.file.cmp(&b.file));
    mails
}

/// Waits up to `limit` for the mails in `dir` to satisfy `done`; returns
/// them as they are then.
pub async fn wait_for_mails(dir: &Path, limit: Duration, done: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
    eventually(limit, || {
        let held = done(&read_mails(dir));
        async move { held }
    })
    .await;
    read_mails(dir)
}

impl TestMesh {
    /// Waits up to `limit` for the mails to `user_id` (their Message-IDs
    /// name the account) to number at least `count`; returns them.
    pub async fn mails_to(&self, user_id: &str, count: usize, limit: Duration) -> Vec<Mail> {
        let theirs = |mails: &[Mail]| mails.iter().filter(|m| m.message_id.contains(user_id)).count();
        let mails = wait_for_mails(self.mail_dir.path(), limit, |mails| theirs(mails) >= count).await;
        mails.into_iter().filter(|m| m.message_id.contains(user_id)).collect()
    }
}

fn parse(file: String, raw: String) -> Mail {
    let head = raw.split("\r\n\r\n").next().unwrap_or_default();
    // Unfold continuation lines (RFC 5322 2.2.3).
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        unfolded
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let message_id = header("Message-ID").trim_matches(['<', '>']).to_owned();
    Mail { file, message_id, to: header("To"), subject: header("Subject"), raw }
}

//! Sending a recorded mail: over SMTP with lettre when `SMTP_URL` is set,
//! else as an .eml file in the mail directory. Both are safe to repeat: the
//! file is named after the mail's Message-ID and replaced atomically, and an
//! SMTP server (or the reader's client) sees the same Message-ID again.

use std::path::{Path, PathBuf};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};

use crate::{config::MailConfig, store::NotificationRow};

/// Where mails go.
#[derive(Clone, Debug)]
pub struct Mailer {
    from: Mailbox,
    sink: Sink,
}

#[derive(Clone, Debug)]
enum Sink {
    Directory(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Why a mail could not be sent (it is retried).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The mail cannot be built (a bad address): retrying will not help.
    #[error("the mail cannot be built: {0}")]
    Invalid(String),
    /// The SMTP server refused it or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(String),
    /// The mail directory could not be written.
    #[error("writing {path}: {source}")]
    Directory {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Mailer {
    /// The mailer `config` asks for: SMTP, or the mail directory (created).
    pub fn new(config: &MailConfig) -> anyhow::Result<Self> {
        let from: Mailbox = config.from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM {:?}: {e}", config.from))?;
        let sink = match &config.smtp_url {
            Some(url) => Sink::Smtp(smtp_transport(url.expose(), config)?),
            None => {
                std::fs::create_dir_all(&config.mail_dir)
                    .map_err(|e| anyhow::anyhow!("creating MAIL_DIR {}: {e}", config.mail_dir.display()))?;
                Sink::Directory(config.mail_dir.clone())
            }
        };
        Ok(Self { from, sink })
    }

    /// Where the mail goes, for the log: the directory, or "smtp".
    pub fn describe(&self) -> String {
        match &self.sink {
            Sink::Directory(dir) => dir.display().to_string(),
            Sink::Smtp(_) => "smtp".to_owned(),
        }
    }

    /// Sends `mail`.
    pub async fn send(&self, mail: &NotificationRow) -> Result<(), SendError> {
        let message = self.message(mail)?;
        match &self.sink {
            Sink::Smtp(transport) => {
                transport.send(message).await.map(drop).map_err(|e| SendError::Smtp(e.to_string()))
            }
            Sink::Directory(dir) => write_eml(dir, &mail.message_id, message.formatted()).await,
        }
    }

    fn message(&self, mail: &NotificationRow) -> Result<Message, SendError> {
        let to: Mailbox = mail.recipient.parse().map_err(|e| SendError::Invalid(format!("recipient: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(format!("<{}>", mail.message_id)))
            .date(mail.created_at.and_utc().into())
            .multipart(MultiPart::alternative_plain_html(mail.text_body.clone(), mail.html_body.clone()))
            .map_err(|e| SendError::Invalid(e.to_string()))
    }
}

/// A plain SMTP transport to `smtp://[user:password@]host[:port]` (port 25
/// unless given). This build has no TLS: point it at a local relay or
/// Mailpit, which forwards over TLS if it must.
fn smtp_transport(url: &str, config: &MailConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?;
    if parsed.scheme() != "smtp" {
        anyhow::bail!("SMTP_URL: only smtp:// (plain SMTP) is supported, not {}://", parsed.scheme());
    }
    let host = parsed.host_str().ok_or_else(|| anyhow::anyhow!("SMTP_URL: needs a host"))?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(parsed.port().unwrap_or(25))
        .timeout(Some(config.smtp_timeout()));
    if !parsed.username().is_empty() {
        let password = parsed.password().unwrap_or_default().to_owned();
        builder = builder.credentials(Credentials::new(parsed.username().to_owned(), password));
    }
    Ok(builder.build())
}

/// The Message-ID of the mail about `event_id` to `user_id`.
pub fn message_id(event_id: &str, user_id: &str) -> String {
    format!("{event_id}.{user_id}@notifications.shop-mesh")
}

/// Writes `bytes` to `<dir>/<message id>.eml` through a temporary file and
/// a rename, so a reader never sees half a mail and a repeat replaces it.
/// Both in one blocking task: one hand-off to tokio's blocking pool and
/// back per mail, not one per file operation.
async fn write_eml(dir: &Path, message_id: &str, bytes: Vec<u8>) -> Result<(), SendError> {
    let path = dir.join(format!("{message_id}.eml"));
    let partial = dir.join(format!(".{message_id}.eml.partial"));
    let target = path.clone();
    let written = tokio::task::spawn_blocking(move || {
        std::fs::write(&partial, bytes)?;
        std::fs::rename(&partial, &target)
    })
    .await
    .unwrap_or_else(|stopped| Err(std::io::Error::other(stopped)));
    written.map_err(|source| SendError::Directory { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let entries = std::fs::read_dir(dir).unwrap();
        entries.map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect()
    }

    #[tokio::test]
    async fn a_mail_lands_whole_under_its_message_id_and_a_repeat_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        write_eml(dir.path(), "m1@shop", b"first".to_vec()).await.unwrap();
        write_eml(dir.path(), "m1@shop", b"again".to_vec()).await.unwrap();
        assert_eq!(names_in(dir.path()), ["m1@shop.eml"], "no partial file is left behind");
        assert_eq!(std::fs::read(dir.path().join("m1@shop.eml")).unwrap(), b"again");
    }

    #[tokio::test]
    async fn a_directory_that_cannot_be_written_is_named_with_the_mail() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let error = write_eml(&gone, "m2@shop", b"x".to_vec()).await.unwrap_err();
        let SendError::Directory { path, source } = &error else { panic!("{error:?}") };
        assert_eq!(*path, gone.join("m2@shop.eml"));
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        assert!(error.to_string().starts_with(&format!("writing {}: ", gone.join("m2@shop.eml").display())), "{error}");
    }
}

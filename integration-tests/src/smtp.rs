//! A small SMTP server for tests: it takes mail as a relay would, or
//! answers each MAIL FROM with a temporary failure (451) while told to, and
//! keeps what it was given.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// The running server; it stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct FakeSmtp {
    addr: SocketAddr,
    state: Arc<State>,
}

#[derive(Debug, Default)]
struct State {
    /// MAIL FROM commands refused before the next is taken (usize::MAX: all).
    refuse: AtomicUsize,
    /// Every MAIL FROM seen.
    attempts: AtomicUsize,
    /// Every message taken, as sent after DATA.
    received: Mutex<Vec<String>>,
}

impl FakeSmtp {
    /// A server on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP server");
        let addr = listener.local_addr().expect("SMTP address");
        let state = Arc::new(State::default());
        let serving = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, Arc::clone(&serving)));
            }
        });
        Self { addr, state }
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Refuses the next `count` mails with a temporary failure (`usize::MAX`: every one).
    pub fn refuse(&self, count: usize) {
        self.state.refuse.store(count, Ordering::SeqCst);
    }

    /// How many mails were attempted (MAIL FROM commands).
    pub fn attempts(&self) -> usize {
        self.state.attempts.load(Ordering::SeqCst)
    }

    /// The messages taken.
    pub fn received(&self) -> Vec<String> {
        self.state.received.lock().expect("received").clone()
    }
}

async fn session(stream: TcpStream, state: Arc<State>) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    if writer.write_all(b"220 fake-smtp ESMTP ready\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-fake-smtp\r\n250 8BITMIME\r\n"
        } else if command.starts_with("MAIL FROM") {
            state.attempts.fetch_add(1, Ordering::SeqCst);
            let refused = state
                .refuse
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match n {
                    0 => None,
                    usize::MAX => Some(usize::MAX),
                    n => Some(n - 1),
                })
                .is_ok();
            if refused { b"451 4.3.0 try again later\r\n" } else { b"250 2.1.0 ok\r\n" }
        } else if command.starts_with("DATA") {
            if writer.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut message = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                message.push_str(&line);
                message.push('\n');
            }
            state.received.lock().expect("received").push(message);
            b"250 2.0.0 queued\r\n"
        } else if command.starts_with("QUIT") {
            let _ = writer.write_all(b"221 2.0.0 bye\r\n").await;
            return;
        } else {
            b"250 2.0.0 ok\r\n"
        };
        if writer.write_all(reply).await.is_err() {
            return;
        }
    }
}

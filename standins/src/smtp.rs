//! A real SMTP listener for tests: it speaks enough ESMTP for lettre (EHLO, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT), keeps every message, and lets a test wait for the next one to arrive.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::Notify,
};

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, transfer-decoded where it was quoted-printable.
    pub data: String,
}

impl Received {
    /// The first `http…` URL in the message whose path starts with `path`.
    pub fn link(&self, path: &str) -> Option<String> {
        self.data
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(path))
            .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_owned())
    }

    /// The `token` query parameter of the link to `path`.
    pub fn token(&self, path: &str) -> Option<String> {
        let link = self.link(path)?;
        let url = url::Url::parse(&link).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    }
}

#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("smtp binds");
        let port = listener.local_addr().expect("addr").port();
        let server = SmtpServer {
            port,
            messages: Arc::new(Mutex::new(Vec::new())),
            arrived: Arc::new(Notify::new()),
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(s.clone().session(stream));
            }
        });
        server
    }

    /// `SMTP_URL` for the app: plain SMTP on loopback.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn count(&self) -> usize {
        self.messages.lock().expect("lock").len()
    }

    pub fn messages_to(&self, to: &str) -> Vec<Received> {
        self.messages
            .lock()
            .expect("lock")
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .cloned()
            .collect()
    }

    /// Waits until `to` has received `n` messages with a link to `path` and returns the last
    /// of them. Mail goes out in the background, so two messages (a sign-up's verification
    /// and a reset asked for right after it) can arrive in either order.
    pub async fn wait_for_link(&self, to: &str, path: &str, n: usize) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrival = self.arrived.notified();
            let got: Vec<Received> = self
                .messages_to(to)
                .into_iter()
                .filter(|m| m.link(path).is_some())
                .collect();
            if got.len() >= n {
                return got[n - 1].clone();
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                panic!("no email #{n} with a link to {path} for {to} within 10 s");
            }
        }
    }

    /// Waits until `to` has received `n` messages (woken by each arrival, bounded at 10 s) and
    /// returns the newest.
    pub async fn wait_for(&self, to: &str, n: usize) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrival = self.arrived.notified();
            let got = self.messages_to(to);
            if got.len() >= n {
                return got.last().expect("message").clone();
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                panic!("no email #{n} for {to} within 10 s (got {})", got.len());
            }
        }
    }

    async fn session(self, stream: tokio::net::TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 localhost ESMTP test\r\n").await;
        let (mut from, mut to) = (String::new(), Vec::new());
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("HELO")
                || upper.starts_with("RSET")
                || upper.starts_with("NOOP")
            {
                b"250 OK\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&line["MAIL FROM:".len()..]);
                to.clear();
                b"250 OK\r\n"
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&line["RCPT TO:".len()..]));
                b"250 OK\r\n"
            } else if upper.starts_with("DATA") {
                let _ = write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await;
                let mut data = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push('\n');
                }
                let received = Received {
                    from: from.clone(),
                    to: to.clone(),
                    data: decode_quoted_printable(&data),
                };
                self.messages.lock().expect("lock").push(received);
                self.arrived.notify_waiters();
                b"250 OK queued\r\n"
            } else if upper.starts_with("QUIT") {
                let _ = write.write_all(b"221 Bye\r\n").await;
                return;
            } else {
                b"502 Command not implemented\r\n"
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}

fn address(arg: &str) -> String {
    arg.trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Undoes quoted-printable soft line breaks and `=XX` escapes (only if the message says so).
pub fn decode_quoted_printable(data: &str) -> String {
    if !data
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        return data.to_owned();
    }
    let joined = data.replace("\r\n", "\n").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

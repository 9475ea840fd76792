//! A real SMTP server on loopback for the integration tests: it owns the sink's socket
//! and connection handling (a minimal ESMTP dialogue, pipelining, several messages per
//! connection), the store of received messages, and the small MIME reading the tests need
//! (headers, text/html bodies, quoted-printable and base64, links).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// A received message.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The raw message as received, dot-unstuffed, CRLF kept.
    pub data: String,
}

impl ReceivedMail {
    /// The first top-level header called `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(&split_entity(&self.data).0, name)
    }

    pub fn subject(&self) -> Option<String> {
        self.header("Subject")
    }

    /// The decoded body of the first text/plain part.
    pub fn text_body(&self) -> Option<String> {
        find_part(&self.data, "text/plain")
    }

    /// The decoded body of the first text/html part.
    pub fn html_body(&self) -> Option<String> {
        find_part(&self.data, "text/html")
    }

    /// The message as its recipient's mail program has it: the envelope, the headers in
    /// the order sent, then each part of the body decoded, under its content type.
    pub fn as_seen(&self) -> String {
        let mut seen = format!(
            "MAIL FROM: {}\nRCPT TO: {}\n",
            self.from,
            self.to.join(", ")
        );
        let (headers, _) = split_entity(&self.data);
        for (name, value) in &headers {
            seen.push_str(&format!("{name}: {}\n", value.trim()));
        }
        describe_parts(&self.data, &mut seen);
        seen
    }

    /// The first http(s) URL in the text body that contains `needle`.
    pub fn link_containing(&self, needle: &str) -> Option<String> {
        let text = self.text_body()?;
        text.match_indices("http")
            .map(|(start, _)| &text[start..])
            .filter(|rest| rest.starts_with("http://") || rest.starts_with("https://"))
            .map(|rest| {
                let end = rest
                    .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .find(|url| url.contains(needle))
            .map(str::to_owned)
    }
}

type Mailbox = Arc<Mutex<Vec<ReceivedMail>>>;

/// An SMTP server on 127.0.0.1 that keeps every message it receives.
#[derive(Debug)]
pub struct SmtpSink {
    port: u16,
    mailbox: Mailbox,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// Listens on a free loopback port.
    pub async fn start() -> std::io::Result<SmtpSink> {
        Self::start_on(0).await
    }

    /// Listens on 127.0.0.1:`port` (SO_REUSEADDR, so a stopped sink's port can be reused).
    pub async fn start_on(port: u16) -> std::io::Result<SmtpSink> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
        let listener = socket.listen(128)?;
        let port = listener.local_addr()?.port();
        let mailbox = Mailbox::default();
        let (shutdown, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, mailbox.clone(), stopped));
        Ok(SmtpSink {
            port,
            mailbox,
            shutdown,
            task,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Everything received so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.mailbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until at least `count` messages have arrived.
    pub async fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedMail>, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return Ok(messages);
            }
            if tokio::time::Instant::now() >= deadline {
                let subjects: Vec<String> = messages
                    .iter()
                    .map(|m| m.subject().unwrap_or_default())
                    .collect();
                return Err(format!(
                    "expected {count} message(s) within {timeout:?}, {} arrived (subjects: {subjects:?})",
                    messages.len()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops listening and drops every open connection; the port is free afterwards.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}

/// A free loopback port with nothing listening on it.
pub fn unused_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    listener.local_addr().map(|address| address.port())
}

/// Accepts connections until told to stop (or the sink is dropped), then closes them all.
async fn accept_loop(listener: TcpListener, mailbox: Mailbox, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve(stream, mailbox.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// One SMTP session; messages are stored at the end of each DATA.
async fn serve(stream: TcpStream, mailbox: Mailbox) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(b"220 sink ESMTP\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                (from, to) = (None, Vec::new());
                "250-sink\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE 10485760\r\n"
            }
            "HELO" => {
                (from, to) = (None, Vec::new());
                "250 sink\r\n"
            }
            "MAIL" => match path_after(argument, "FROM:") {
                Some(address) => {
                    (from, to) = (Some(address), Vec::new());
                    "250 OK\r\n"
                }
                None => "501 Syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" => match (&from, path_after(argument, "TO:")) {
                (None, _) => "503 MAIL first\r\n",
                (Some(_), Some(address)) => {
                    to.push(address);
                    "250 OK\r\n"
                }
                (Some(_), None) => "501 Syntax: RCPT TO:<address>\r\n",
            },
            "DATA" => match from.take() {
                Some(sender) if !to.is_empty() => {
                    writer
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let data = read_data(&mut reader).await?;
                    mailbox
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(ReceivedMail {
                            from: sender,
                            to: std::mem::take(&mut to),
                            data,
                        });
                    "250 OK\r\n"
                }
                sender => {
                    from = sender;
                    "503 RCPT first\r\n"
                }
            },
            "RSET" => {
                (from, to) = (None, Vec::new());
                "250 OK\r\n"
            }
            "NOOP" => "250 OK\r\n",
            "QUIT" => {
                writer.write_all(b"221 Bye\r\n").await?;
                return writer.shutdown().await;
            }
            _ => "502 Command not implemented\r\n",
        };
        writer.write_all(reply.as_bytes()).await?;
    }
}

/// The address in `FROM:<address> PARAMS` / `TO:<address>`, prefix matched case-insensitively.
fn path_after(argument: &str, prefix: &str) -> Option<String> {
    let argument = argument.trim_start();
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = argument[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

/// Reads the message up to the lone "." line, undoing dot-stuffing.
async fn read_data<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<String> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(String::from_utf8_lossy(&data).into_owned());
        }
        data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
    }
}

/// Splits a MIME entity into its unfolded headers and its body.
fn split_entity(raw: &str) -> (Vec<(String, String)>, &str) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut position = 0;
    for line in raw.split_inclusive('\n') {
        position += line.len();
        let content = line.trim_end_matches(['\r', '\n']);
        if content.is_empty() {
            return (headers, &raw[position..]);
        }
        match (content.starts_with([' ', '\t']), headers.last_mut()) {
            (true, Some((_, value))) => value.push_str(content),
            _ => {
                if let Some((name, value)) = content.split_once(':') {
                    headers.push((name.trim().to_owned(), value.to_owned()));
                }
            }
        }
    }
    (headers, "")
}

fn header_in(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_owned())
}

/// A parameter such as `boundary` of a header value like `multipart/alternative; boundary="x"`.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|pair| {
        let (key, found) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| found.trim().trim_matches('"').to_owned())
    })
}

/// The decoded body of the first (non-attachment) part of type `wanted`, searching multiparts.
fn find_part(raw: &str, wanted: &str) -> Option<String> {
    let (headers, body) = split_entity(raw);
    let content_type = header_in(&headers, "Content-Type").unwrap_or_else(|| "text/plain".into());
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if mime.starts_with("multipart/") {
        let boundary = parameter(&content_type, "boundary")?;
        return multipart_parts(body, &boundary)
            .into_iter()
            .find_map(|part| find_part(part, wanted));
    }
    let attachment = header_in(&headers, "Content-Disposition")
        .is_some_and(|d| d.to_ascii_lowercase().starts_with("attachment"));
    if mime != wanted || attachment {
        return None;
    }
    let encoding = header_in(&headers, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    Some(match encoding.as_str() {
        "quoted-printable" => String::from_utf8_lossy(&decode_quoted_printable(body)).into_owned(),
        "base64" => String::from_utf8_lossy(&decode_base64(body)).into_owned(),
        _ => body.to_owned(),
    })
}

/// Appends each leaf part of `raw` (a whole message or one part of it): a line naming its
/// type and transfer encoding, then its body decoded, CRLFs as plain line ends.
fn describe_parts(raw: &str, out: &mut String) {
    let (headers, body) = split_entity(raw);
    let content_type = header_in(&headers, "Content-Type").unwrap_or_else(|| "text/plain".into());
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = parameter(&content_type, "boundary").unwrap_or_default();
        for part in multipart_parts(body, &boundary) {
            describe_parts(part, out);
        }
        return;
    }
    let encoding = header_in(&headers, "Content-Transfer-Encoding").unwrap_or_default();
    let decoded = match encoding.to_ascii_lowercase().as_str() {
        "quoted-printable" => String::from_utf8_lossy(&decode_quoted_printable(body)).into_owned(),
        "base64" => String::from_utf8_lossy(&decode_base64(body)).into_owned(),
        _ => body.to_owned(),
    };
    out.push_str(&format!("\n--- {content_type} ({encoding}) ---\n"));
    out.push_str(decoded.replace("\r\n", "\n").trim_end());
    out.push('\n');
}

/// The bodies between `--boundary` lines (the CRLF before a delimiter belongs to it).
fn multipart_parts<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut position = 0;
    for line in body.split_inclusive('\n') {
        if let Some(rest) = line.trim_end().strip_prefix(&delimiter)
            && (rest.is_empty() || rest == "--")
        {
            if let Some(start) = start {
                let part = &body[start..position];
                let part = part
                    .strip_suffix("\r\n")
                    .or_else(|| part.strip_suffix('\n'))
                    .unwrap_or(part);
                parts.push(part);
            }
            if rest == "--" {
                return parts;
            }
            start = Some(position + line.len());
        }
        position += line.len();
    }
    parts
}

fn decode_quoted_printable(body: &str) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::new();
    let mut lines = body.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end_matches(['\r', ' ', '\t']);
        let (line, soft_break) = match line.strip_suffix('=') {
            Some(line) => (line, true),
            None => (line, false),
        };
        let mut bytes = line.bytes();
        while let Some(byte) = bytes.next() {
            let mut lookahead = bytes.clone();
            match (
                byte,
                lookahead.next().and_then(hex),
                lookahead.next().and_then(hex),
            ) {
                (b'=', Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    bytes = lookahead;
                }
                _ => out.push(byte),
            }
        }
        if !soft_break && lines.peek().is_some() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn decode_base64(body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in body.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A raw SMTP client: sends `lines` (already CRLF-terminated) and reads reply lines.
    struct Client {
        reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
        writer: tokio::net::tcp::OwnedWriteHalf,
    }

    impl Client {
        async fn connect(port: u16) -> Result<Self, Box<dyn std::error::Error>> {
            let (reader, writer) = TcpStream::connect(("127.0.0.1", port)).await?.into_split();
            let mut client = Client {
                reader: BufReader::new(reader),
                writer,
            };
            client.expect("220").await?;
            Ok(client)
        }

        async fn send(&mut self, text: &str) -> TestResult {
            self.writer.write_all(text.as_bytes()).await?;
            Ok(())
        }

        /// Reads one (possibly multi-line) reply and checks its code.
        async fn expect(&mut self, code: &str) -> Result<String, Box<dyn std::error::Error>> {
            let mut reply = String::new();
            loop {
                let mut line = String::new();
                if self.reader.read_line(&mut line).await? == 0 {
                    return Err(format!("connection closed, expected {code}").into());
                }
                reply.push_str(&line);
                if line.as_bytes().get(3) != Some(&b'-') {
                    break;
                }
            }
            if !reply.starts_with(code) {
                return Err(format!("expected {code}, got {reply:?}").into());
            }
            Ok(reply)
        }
    }

    const WAIT: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn two_messages_on_one_connection_are_captured_at_the_end_of_data() -> TestResult {
        let sink = SmtpSink::start().await?;
        assert_eq!(sink.url(), format!("smtp://127.0.0.1:{}", sink.port()));
        let mut client = Client::connect(sink.port()).await?;
        client.send("ehlo client\r\n").await?;
        let ehlo = client.expect("250").await?;
        assert!(ehlo.contains("250-PIPELINING") && !ehlo.contains("STARTTLS"));
        // Pipelined envelope.
        client
            .send("MAIL FROM:<a@example.com> BODY=8BITMIME SIZE=100\r\nRCPT TO:<b@example.com>\r\nrcpt to:<c@example.com>\r\nDATA\r\n")
            .await?;
        for code in ["250", "250", "250", "354"] {
            client.expect(code).await?;
        }
        client
            .send("Subject: First\r\n  folded\r\n\r\n..leading dot\r\nplain\r\n.\r\n")
            .await?;
        client.expect("250").await?;
        let first = sink.wait_for(1, WAIT).await?;
        assert_eq!(first.len(), 1, "captured before QUIT");
        client.send("NOOP\r\nVRFY x\r\nRSET\r\n").await?;
        for code in ["250", "502", "250"] {
            client.expect(code).await?;
        }
        client
            .send("MAIL FROM:<d@example.com>\r\nRCPT TO:<e@example.com>\r\nDATA\r\nSubject: Second\r\n\r\nbody\r\n.\r\nQUIT\r\n")
            .await?;
        for code in ["250", "250", "354", "250", "221"] {
            client.expect(code).await?;
        }
        let messages = sink.wait_for(2, WAIT).await?;
        let (first, second) = (&messages[0], &messages[1]);
        assert_eq!(first.from, "a@example.com");
        assert_eq!(first.to, ["b@example.com", "c@example.com"]);
        assert_eq!(
            first.data,
            "Subject: First\r\n  folded\r\n\r\n.leading dot\r\nplain\r\n"
        );
        assert_eq!(first.subject().as_deref(), Some("First  folded"));
        assert_eq!(first.header("subject"), first.subject());
        assert_eq!(
            first.text_body().as_deref(),
            Some(".leading dot\r\nplain\r\n")
        );
        assert_eq!(first.html_body(), None);
        assert_eq!(second.to, ["e@example.com"]);
        assert_eq!(second.subject().as_deref(), Some("Second"));
        assert!(sink.wait_for(3, Duration::from_millis(50)).await.is_err());
        sink.stop().await;
        Ok(())
    }

    #[tokio::test]
    async fn a_quoted_printable_multipart_link_is_found() -> TestResult {
        let sink = SmtpSink::start().await?;
        let mut client = Client::connect(sink.port()).await?;
        client
            .send("HELO client\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
            .await?;
        for code in ["250", "250", "250", "354"] {
            client.expect(code).await?;
        }
        let message = concat!(
            "From: a@example.com\r\n",
            "Subject: Reset\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: multipart/alternative;\r\n",
            " boundary=\"XYZ\"\r\n",
            "\r\n",
            "--XYZ\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n",
            "\r\n",
            "Gr=C3=BC=C3=9Fe! Open https://portal.example/reset?token=3Dab=\r\n",
            "cdef&x=3D1 to reset.\r\n",
            "See http://other.example/ too.\r\n",
            "--XYZ\r\n",
            "Content-Type: text/html; charset=utf-8\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "PHA+SGVsbG8sIHfDtnJsZCE8L3A+\r\n",
            "--XYZ--\r\n",
            ".\r\n",
        );
        client.send(message).await?;
        client.expect("250").await?;
        let messages = sink.wait_for(1, WAIT).await?;
        let mail = &messages[0];
        assert_eq!(
            mail.header("content-type").as_deref(),
            Some("multipart/alternative; boundary=\"XYZ\"")
        );
        assert_eq!(
            mail.text_body().as_deref(),
            Some(
                "Grüße! Open https://portal.example/reset?token=abcdef&x=1 to reset.\r\nSee http://other.example/ too."
            )
        );
        assert_eq!(
            mail.link_containing("reset").as_deref(),
            Some("https://portal.example/reset?token=abcdef&x=1")
        );
        assert_eq!(
            mail.link_containing("other").as_deref(),
            Some("http://other.example/")
        );
        assert_eq!(mail.link_containing("nowhere"), None);
        assert_eq!(mail.html_body().as_deref(), Some("<p>Hello, wörld!</p>"));
        assert_eq!(sink.messages().len(), 1);
        sink.stop().await;
        Ok(())
    }

    #[tokio::test]
    async fn a_stopped_sink_drops_connections_and_can_restart_on_its_port() -> TestResult {
        let sink = SmtpSink::start().await?;
        let port = sink.port();
        let mut client = Client::connect(port).await?;
        sink.stop().await;
        let mut rest = String::new();
        let closed = client.reader.read_line(&mut rest).await?;
        assert_eq!(closed, 0, "open connection dropped, got {rest:?}");
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());

        let sink = SmtpSink::start_on(port).await?;
        assert_eq!(sink.port(), port);
        let mut client = Client::connect(port).await?;
        client.send("QUIT\r\n").await?;
        client.expect("221").await?;
        sink.stop().await;

        let down = unused_port()?;
        assert!(TcpStream::connect(("127.0.0.1", down)).await.is_err());
        Ok(())
    }
}

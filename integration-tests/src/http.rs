//! A small JSON client for the edge.

use std::{net::SocketAddr, time::Duration};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Talks JSON to the edge over real HTTP.
#[derive(Debug, Clone)]
pub struct HttpClient {
    addr: SocketAddr,
    base: String,
    client: reqwest::Client,
}

/// A response: status, content type and parsed body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `content-type` header.
    pub content_type: String,
    /// The JSON body.
    pub body: Value,
}

impl HttpClient {
    /// A client for the edge at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        let client = reqwest::Client::builder().no_proxy().build().expect("http client");
        Self { addr, base: format!("http://{addr}"), client }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The underlying client, for unusual requests.
    pub fn raw(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request over a plain TCP connection, reading the response while
    /// the body is still being written, as browsers do: a server may answer
    /// (413, say) and close before it has read the body, which makes clients
    /// that only read after writing everything fail with a broken pipe.
    /// `head` is the request line and headers; returns the response as text.
    pub async fn send_raw(&self, head: &str, body: Vec<u8>) -> String {
        let stream = TcpStream::connect(self.addr).await.expect("connect to the edge");
        let (mut reader, mut writer) = stream.into_split();
        let head = format!("{head}\r\nhost: {}\r\nconnection: close\r\n\r\n", self.addr);
        writer.write_all(head.as_bytes()).await.expect("send the request head");
        let writing = tokio::spawn(async move {
            // Fails once the server has answered and closed; that is the point.
            let _ = writer.write_all(&body).await;
        });
        let mut response = Vec::new();
        let mut chunk = [0_u8; 8192];
        let reading = async {
            // Until the server closes (or resets, having not read the whole body).
            while let Ok(n @ 1..) = reader.read(&mut chunk).await {
                response.extend_from_slice(&chunk[..n]);
            }
        };
        tokio::time::timeout(Duration::from_secs(10), reading).await.expect("the edge answers and closes");
        writing.abort();
        String::from_utf8_lossy(&response).into_owned()
    }

    /// `GET path`, with a bearer token if given.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.client.get(self.url(path)), token).await
    }

    /// `POST path` with a JSON body, with a bearer token if given.
    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        self.send(self.client.post(self.url(path)).json(&body), token).await
    }

    /// `PUT path` with a JSON body, with a bearer token if given.
    pub async fn put(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        self.send(self.client.put(self.url(path)).json(&body), token).await
    }

    /// A GraphQL request; returns the whole response body (`data` and `errors`).
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Reply {
        self.post("/graphql", json!({ "query": query, "variables": variables }), token).await
    }

    async fn send(&self, request: reqwest::RequestBuilder, token: Option<&str>) -> Reply {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.expect("request reaches the edge");
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await.expect("response body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply { status, content_type, body }
    }
}

impl Reply {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status.as_u16(), expected, "unexpected status; body: {}", self.body);
        self
    }

    /// The GraphQL `extensions.code` of the first error.
    pub fn graphql_error_code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }
}

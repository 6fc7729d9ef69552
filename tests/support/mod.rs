//! A programmable HTTP server on 127.0.0.1:0 for client tests: it records every request and
//! answers from a script, then from a default handler.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// What to answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status, JSON body, extra headers.
    Json(u16, Value, Vec<(&'static str, String)>),
    /// Status, content type, raw body.
    Raw(u16, &'static str, String),
    /// Close the connection without answering.
    Drop,
    /// Wait (tokio time), then answer.
    Delay(Duration, Box<Reply>),
}

impl Reply {
    pub fn ok(result: Value) -> Self {
        Reply::Json(200, envelope(result), vec![])
    }

    pub fn error(status: u16, code: i64, message: &str) -> Self {
        Reply::Json(
            status,
            json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
            vec![("cf-ray", "8c0ffee0000-SJC".into())],
        )
    }

    pub fn with_header(self, name: &'static str, value: impl Into<String>) -> Self {
        match self {
            Reply::Json(s, b, mut h) => {
                h.push((name, value.into()));
                Reply::Json(s, b, h)
            }
            other => other,
        }
    }
}

pub fn envelope(result: Value) -> Value {
    json!({"success": true, "errors": [], "messages": [], "result": result})
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

pub struct TestServer {
    pub base_url: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl TestServer {
    /// Starts a server answering with `handler` when the script is empty.
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let script: Arc<Mutex<VecDeque<Reply>>> = Arc::default();
        let handler: Handler = Arc::new(handler);
        let (reqs, scr) = (requests.clone(), script.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (reqs, scr, handler) = (reqs.clone(), scr.clone(), handler.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let (reqs, scr, handler) = (reqs.clone(), scr.clone(), handler.clone());
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let rec = Recorded {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_owned(),
                                query: parts.uri.query().map(str::to_owned),
                                headers: parts.headers,
                                body,
                            };
                            reqs.lock().unwrap().push(rec.clone());
                            let scripted = scr.lock().unwrap().pop_front();
                            let reply = scripted.unwrap_or_else(|| handler(&rec));
                            respond(reply).await
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Self {
            base_url: format!("http://{addr}/client/v4"),
            requests,
            script,
        }
    }

    /// Answers the next requests with these replies, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script.lock().unwrap().extend(replies);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn last(&self) -> Recorded {
        self.requests().last().cloned().expect("a request was made")
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dropped on purpose")
    }
}
impl std::error::Error for Dropped {}

async fn respond(reply: Reply) -> Result<Response<Full<Bytes>>, Dropped> {
    let mut reply = reply;
    while let Reply::Delay(d, inner) = reply {
        tokio::time::sleep(d).await;
        reply = *inner;
    }
    let (status, content_type, body, headers) = match reply {
        Reply::Json(s, v, h) => (s, "application/json", v.to_string(), h),
        Reply::Raw(s, ct, b) => (s, ct, b, vec![]),
        Reply::Drop => return Err(Dropped),
        Reply::Delay(..) => unreachable!(),
    };
    let mut response = Response::builder()
        .status(status)
        .header("content-type", content_type);
    for (k, v) in headers {
        response = response.header(k, v);
    }
    Ok(response
        .body(Full::new(Bytes::from(body)))
        .expect("response"))
}

// Infallible is used by callers building handlers that never fail.
pub type Never = Infallible;

pub const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub const PACK: &str = "3822ff90ea2944df9e5521300bb9419b";

/// A pack as the API returns it.
pub fn pack(id: &str, status: &str) -> Value {
    json!({
        "id": id,
        "certificates": [],
        "hosts": ["example.com", "*.example.com"],
        "status": status,
        "type": "advanced",
        "validation_method": "txt",
        "validity_days": 90,
        "certificate_authority": "lets_encrypt",
        "validation_records": [{"txt_name": "_acme-challenge.example.com", "txt_value": "abc"}]
    })
}

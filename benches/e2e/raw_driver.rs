//! End-to-end driver for `cargo xtask bench`: the floor. A bare `reqwest` client and
//! `serde_json::Value`, doing the same requests as `bench-crate` with nothing on top: no
//! envelope types, no retries, no tracing, no task-local call context.
//!
//! With `--decode typed`, `get` decodes into the crate's generated
//! `types::CertificatePackResponse` instead of `Value`: the floor plus the typed decode alone, to
//! split the crate's overhead between decoding and the rest of its machinery.
//!
//! ```text
//! bench-raw get  --base-url U --token T --zone Z --pack P --n 1000 --warmup 50 [--decode typed]
//! bench-raw list --base-url U --token T --zone Z --per-page 50 --repeat 5
//! ```

#[allow(dead_code)]
#[path = "args.rs"]
mod args;

use std::time::Instant;

use reqwest::header::{HeaderValue, ACCEPT};
use serde_json::{json, Value};

struct Raw {
    http: reqwest::Client,
    base: String,
    auth: HeaderValue,
    typed: bool,
}

impl Raw {
    fn new(args: &args::Args) -> Raw {
        let _ = cloudflare_ssl_mock::crypto_provider().install_default();
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", args.str("token"))).expect("token header");
        auth.set_sensitive(true);
        Raw {
            http: reqwest::Client::new(),
            base: format!("{}/zones/{}", args.str("base-url"), args.str("zone")),
            auth,
            typed: args.opt("decode") == Some("typed"),
        }
    }

    async fn get_json(&self, url: String) -> Value {
        let response = self
            .http
            .get(url)
            .header(ACCEPT, "application/json")
            .header(reqwest::header::AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .expect("send");
        assert!(response.status().is_success(), "{}", response.status());
        let bytes = response.bytes().await.expect("body");
        if self.typed {
            let typed: cloudflare_ssl::types::CertificatePackResponse =
                serde_json::from_slice(&bytes).expect("typed");
            assert!(typed.success);
            std::hint::black_box(typed);
            return Value::Null;
        }
        let value: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(value["success"], Value::Bool(true));
        value
    }
}

fn main() {
    let args = args::Args::parse();
    let rt = args::runtime();
    let report = match args.mode.as_str() {
        "get" => rt.block_on(get(&args)),
        "list" => rt.block_on(list(&args)),
        other => panic!("unknown mode `{other}` (get, list)"),
    };
    println!("{report}");
}

async fn get(args: &args::Args) -> Value {
    let raw = Raw::new(args);
    let url = || format!("{}/ssl/certificate_packs/{}", raw.base, args.str("pack"));
    for _ in 0..args.num("warmup", 50) {
        raw.get_json(url()).await;
    }
    let n = args.num("n", 1000) as usize;
    let mut samples = Vec::with_capacity(n);
    let cpu = args::thread_cpu_ns();
    for _ in 0..n {
        let start = Instant::now();
        let got = raw.get_json(url()).await;
        samples.push(start.elapsed());
        std::hint::black_box(got);
    }
    let cpu = args::thread_cpu_ns() - cpu;
    json!({ "samples_ns": args::nanos(&samples), "cpu_ns": cpu })
}

async fn list(args: &args::Args) -> Value {
    let raw = Raw::new(args);
    let per_page = args.num("per-page", 50);
    raw.get_json(format!("{}/ssl/certificate_packs?per_page=5", raw.base))
        .await;
    let mut walks = Vec::new();
    let mut items = 0;
    for _ in 0..args.num("repeat", 5) {
        let start = Instant::now();
        items = 0;
        let mut page = 1;
        loop {
            let body = raw
                .get_json(format!(
                    "{}/ssl/certificate_packs?page={page}&per_page={per_page}",
                    raw.base
                ))
                .await;
            items += body["result"].as_array().map_or(0, Vec::len);
            let total = body["result_info"]["total_pages"].as_u64().unwrap_or(0);
            if page >= total {
                break;
            }
            page += 1;
        }
        walks.push(start.elapsed());
    }
    json!({ "walks_ns": args::nanos(&walks), "items": items })
}

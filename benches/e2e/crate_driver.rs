//! End-to-end driver for `cargo xtask bench`: this crate's client against a running mock.
//!
//! ```text
//! bench-crate get  --base-url U --token T --zone Z --pack P --n 1000 --warmup 50
//! bench-crate list --base-url U --token T --zone Z --per-page 50 --prefetch 8 --repeat 5
//! bench-crate mem  --base-url U --token T --zone Z --per-page 50 --prefetch 1 --collect 0|1
//! ```
//!
//! Prints one JSON object: `get` → per-request latencies (`samples_ns`); `list` → the time of each
//! full walk (`walks_ns`) and the items seen; `mem` → peak RSS (`VmHWM`) before and after walking
//! the listing either streaming (item by item) or collecting every item into a `Vec`.

#[allow(dead_code)]
#[path = "args.rs"]
mod args;

use std::time::Instant;

use cloudflare_ssl::{Client, Zone};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

fn client(args: &args::Args) -> Zone {
    let client = Client::builder()
        .api_token(args.str("token"))
        .base_url(args.str("base-url"))
        .build()
        .expect("client");
    client.zone(args.str("zone")).expect("zone")
}

fn main() {
    let args = args::Args::parse();
    let rt = args::runtime();
    let report = match args.mode.as_str() {
        "get" => rt.block_on(get(&args)),
        "list" => rt.block_on(list(&args)),
        "mem" => rt.block_on(mem(&args)),
        other => panic!("unknown mode `{other}` (get, list, mem)"),
    };
    println!("{report}");
}

async fn get(args: &args::Args) -> serde_json::Value {
    let zone = client(args);
    let packs = zone.certificate_packs();
    let pack = args.str("pack");
    for _ in 0..args.num("warmup", 50) {
        packs.get(pack).await.expect("warm-up get");
    }
    let n = args.num("n", 1000) as usize;
    let mut samples = Vec::with_capacity(n);
    let cpu = args::thread_cpu_ns();
    for _ in 0..n {
        let start = Instant::now();
        let got = packs.get(pack).await.expect("get");
        samples.push(start.elapsed());
        std::hint::black_box(got);
    }
    let cpu = args::thread_cpu_ns() - cpu;
    json!({ "samples_ns": args::nanos(&samples), "cpu_ns": cpu })
}

async fn list(args: &args::Args) -> serde_json::Value {
    let zone = client(args);
    let per_page = args.num("per-page", 50) as u32;
    let prefetch = args.num("prefetch", 1) as usize;
    // One untimed request to open the connection.
    zone.certificate_packs()
        .list()
        .per_page(5)
        .send()
        .await
        .expect("warm-up list");
    let mut walks = Vec::new();
    let mut items = 0;
    for _ in 0..args.num("repeat", 5) {
        let start = Instant::now();
        items = zone
            .certificate_packs()
            .list()
            .per_page(per_page)
            .prefetch(prefetch)
            .items()
            .try_fold(0usize, |n, pack| async move {
                std::hint::black_box(&pack);
                Ok(n + 1)
            })
            .await
            .expect("list");
        walks.push(start.elapsed());
    }
    json!({ "walks_ns": args::nanos(&walks), "items": items })
}

async fn mem(args: &args::Args) -> serde_json::Value {
    let zone = client(args);
    let per_page = args.num("per-page", 50) as u32;
    let prefetch = args.num("prefetch", 1) as usize;
    let collect = args.num("collect", 0) == 1;
    let baseline = args::peak_rss_kib();
    let listing = zone
        .certificate_packs()
        .list()
        .per_page(per_page)
        .prefetch(prefetch)
        .items();
    let (items, hosts) = if collect {
        let all: Vec<_> = listing.try_collect().await.expect("collect");
        let hosts = all.iter().map(|p| p.hosts.len()).sum::<usize>();
        (all.len(), hosts)
    } else {
        let mut listing = std::pin::pin!(listing);
        let (mut items, mut hosts) = (0, 0);
        while let Some(pack) = listing.next().await {
            let pack = pack.expect("stream");
            items += 1;
            hosts += pack.hosts.len();
        }
        (items, hosts)
    };
    json!({
        "items": items,
        "hosts": hosts,
        "baseline_kib": baseline,
        "peak_kib": args::peak_rss_kib(),
    })
}

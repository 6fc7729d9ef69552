//! `cloudflare-ssl-mock`: the embedded mock of Cloudflare's SSL/TLS API as a standalone server,
//! for clients written in any language.
//!
//! ```text
//! cargo run -p cloudflare-ssl-mock -- --port 8787
//! ```
//!
//! Prints the base URL, a ready token and the seeded zones, then serves until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use cloudflare_ssl_mock::{LifecycleTimings, MockServer, Preset, ZoneSeed};

const USAGE: &str = "\
Usage: cloudflare-ssl-mock [OPTIONS]

Serves a stateful mock of Cloudflare's SSL/TLS API on 127.0.0.1.

Options:
  --port <PORT>        port to listen on (default 8787; 0 picks a free port)
  --token <TOKEN>      API token to accept (default: the built-in mock token)
  --step-secs <SECS>   seconds a new certificate pack spends in each lifecycle status
                       (default: 10/60/30/30 for initializing/validation/issuance/deployment)
  --manual-clock       freeze the clock: time moves only through POST /__mock/clock/...
  --no-rate-limit      disable the mock's 1,200 requests / 5 minutes rate limit
  --packs <N>          active advanced certificate packs seeded in the first zone (default 5;
                       its quota is raised to N when smaller), e.g. for listing benchmarks
  -h, --help           print this help
";

struct Args {
    port: u16,
    token: Option<String>,
    step: Option<Duration>,
    manual: bool,
    rate_limit: bool,
    packs: Option<u32>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        port: 8787,
        token: None,
        step: None,
        manual: false,
        rate_limit: true,
        packs: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" | "-p" => {
                let v = value("--port")?;
                parsed.port = v.parse().map_err(|_| format!("invalid port `{v}`"))?;
            }
            "--token" => parsed.token = Some(value("--token")?),
            "--step-secs" => {
                let v = value("--step-secs")?;
                let secs: f64 = v
                    .parse()
                    .map_err(|_| format!("invalid --step-secs `{v}`"))?;
                let step = Duration::try_from_secs_f64(secs)
                    .map_err(|_| format!("invalid --step-secs `{v}`"))?;
                parsed.step = Some(step);
            }
            "--manual-clock" => parsed.manual = true,
            "--no-rate-limit" => parsed.rate_limit = false,
            "--packs" => {
                let v = value("--packs")?;
                parsed.packs = Some(v.parse().map_err(|_| format!("invalid --packs `{v}`"))?);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(parsed))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the Tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let mut builder = MockServer::builder()
        .port(args.port)
        .preset(if args.manual {
            Preset::Manual
        } else {
            Preset::Realistic
        });
    if let Some(token) = args.token {
        builder = builder.token(token);
    }
    if let Some(step) = args.step {
        builder = builder.timings(LifecycleTimings::uniform(step));
    }
    if !args.rate_limit {
        builder = builder.rate_limit(None);
    }
    if let Some(packs) = args.packs {
        let mut zones = ZoneSeed::defaults();
        zones[0].advanced_packs = packs;
        zones[0].advanced_quota = zones[0].advanced_quota.max(packs);
        builder = builder.zones(zones);
    }
    let mock = match builder.try_start().await {
        Ok(mock) => mock,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    println!("Cloudflare SSL/TLS API mock listening");
    println!();
    println!("  CLOUDFLARE_BASE_URL={}", mock.base_url());
    println!("  CLOUDFLARE_API_TOKEN={}", mock.token());
    if let Some(zone) = mock.zones().first() {
        println!("  CLOUDFLARE_ZONE_ID={}", zone.id);
    }
    println!();
    for zone in mock.zones() {
        println!("  zone {} ({})", zone.id, zone.name);
    }
    println!(
        "  also accepted: X-Auth-Email: {} + X-Auth-Key: {}",
        mock.api_email(),
        mock.api_key()
    );
    println!(
        "                 X-Auth-User-Service-Key: {}",
        mock.user_service_key()
    );
    println!(
        "  admin routes:  {}/ (faults, clock, counters, reset)",
        mock.admin_url()
    );
    println!();
    println!("Press Ctrl-C to stop.");
    match tokio::signal::ctrl_c().await {
        Ok(()) => {
            println!("stopping");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot wait for Ctrl-C: {e}");
            ExitCode::FAILURE
        }
    }
}

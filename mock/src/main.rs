//! `cloudflare-ssl-mock`: the mock of Cloudflare's SSL/TLS API as a standalone server, the
//! conformance proxy, and the replay of recordings. `cloudflare-ssl-mock --help` for usage.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use cloudflare_ssl_mock::proxy::{Proxy, ProxyConfig, DEFAULT_MAX_BODY, DEFAULT_UPSTREAM};
use cloudflare_ssl_mock::record::{
    RecordOptions, Replay, ReplayConfig, DEFAULT_MAX_LINE, DEFAULT_MAX_RECORD_BODY,
};
use cloudflare_ssl_mock::{
    LifecycleTimings, MockServer, Preset, ServerLimits, UserRoute, ZoneSeed,
};
use serde_json::json;

const USAGE: &str = "\
Usage: cloudflare-ssl-mock [serve] [OPTIONS]       serve the stateful mock (default)
       cloudflare-ssl-mock proxy [OPTIONS]         check a real account against the document
       cloudflare-ssl-mock replay FILE [OPTIONS]   serve a recording back

Run `cloudflare-ssl-mock COMMAND --help` for the options of each command.

Violations found by the proxy or the replay go to stderr and GET /__mock/violations.
";

const COMMON: &str = "\
Common options:
  --host <ADDR>        address to listen on (default 127.0.0.1). 0.0.0.0 serves every
                       interface, e.g. in a container: anyone who can reach the port can then
                       use it, so publish it only on a private network
  -p, --port <PORT>    port (default 8787 serve, 8788 proxy, 8789 replay; 0: a free port)
  --print-env          print only `export CLOUDFLARE_…=…` lines on stdout, for a shell to source
  --json               print one JSON object (base_url, token, zone_id, …) as the first stdout
                       line, and nothing else on stdout
  -h, --help           print this help

Connection limits (every command):
  --header-timeout <SECS>      time to send a request's headers (default 10)
  --idle-timeout <SECS>        longest pause without a byte, between requests or inside a body
                               (default 30)
  --max-connections <N>        connections at once; more are answered 503 (default 512)
  --max-body-in-flight <BYTES> request-body bytes held at once over all connections; more are
                               answered 503 (default 67108864, 64 MiB)
";

const USAGE_SERVE: &str = "\
Usage: cloudflare-ssl-mock [serve] [OPTIONS]

Serves the stateful mock of the API at http://HOST:PORT/client/v4, admin routes at /__mock/.

Options:
  --preset <NAME>      demo (250 ms per lifecycle step), realistic (default: 10/60/30/30 s),
                       manual (time moves only through POST /__mock/clock/...)
  --manual-clock       same as --preset manual
  --step-secs <SECS>   seconds a new certificate pack spends in each lifecycle status
  --token <TOKEN>      API token to accept (default: the built-in mock token)
  --no-rate-limit      disable the mock's 1,200 requests / 5 minutes rate limit
  --packs <N>          active advanced certificate packs seeded in the first zone (default 5;
                       its quota is raised to N when smaller), e.g. for listing benchmarks
  --record <FILE>      write every API exchange to FILE as JSON lines (no credentials)
  --record-har <FILE>  write every API exchange to FILE as a HAR 1.2 archive (browser developer
                       tools, other HTTP tools); whole after each exchange
  --redact-ids         with --record: replace 32-hex identifiers by stable stand-ins
  --max-record-body <BYTES>  with --record: larger bodies are replaced by a marker with their
                       length and SHA-256 (default 1048576)

Admin routes (/__mock/):
  --no-admin           serve no admin routes
  --admin-token <TOKEN>  require `Authorization: Bearer TOKEN` on admin routes (also read from
                       CLOUDFLARE_SSL_MOCK_ADMIN_TOKEN); needed with a non-loopback --host
  --admin-host <NAME>  also accept this Host name on admin routes (e.g. a container's service
                       name); loopback and the address served are always accepted
  --max-fault-rules <N>  fault rules queued at once over HTTP (default 1000)
  --max-latency-ms <MS>  largest latency POST /__mock/latency accepts (default 60000)
  --routes <FILE>      user routes outside the document: a JSON array of
                       {\"method\", \"path\" (with {name} or * segments), \"status\", \"body\"}
  --max-user-routes <N>  user routes held at once (default 100)

";

const USAGE_PROXY: &str = "\
Usage: cloudflare-ssl-mock proxy [OPTIONS]

Forwards http://HOST:PORT/client/v4 to the upstream and checks every exchange against the
document (the credentials a client sends are forwarded, never logged or recorded).

Options:
  --upstream <URL>     API base URL to forward to (default https://api.cloudflare.com/client/v4;
                       http:// only for loopback hosts, e.g. a mock)
  --report <FILE>      append each contract violation to FILE as a JSON line
  --record <FILE>      write each exchange of the document's operations to FILE as JSON lines
                       (no credentials; other paths are forwarded, never recorded)
  --record-har <FILE>  the same exchanges as a HAR 1.2 archive (URLs of the upstream)
  --redact-ids         with --record: replace 32-hex identifiers by stable stand-ins
  --max-record-body <BYTES>  with --record: larger bodies are replaced by a marker with their
                       length and SHA-256 (default 1048576)
  --max-body <BYTES>   largest body buffered (default 8388608); larger responses are a 502
  --max-validate-body <BYTES>  largest response body parsed and validated (default 1048576);
                       a larger one is forwarded and reported once as not validated
  --max-stored-violations <N>  violations kept for GET /__mock/violations, the newest
                       (default 1000); all are counted (GET /__mock/violations/counts)
  --admin-token <TOKEN>  require it on /__mock/ (also CLOUDFLARE_SSL_MOCK_ADMIN_TOKEN)
  --admin-host <NAME>  also accept this Host name on /__mock/

";

const USAGE_REPLAY: &str = "\
Usage: cloudflare-ssl-mock replay FILE [OPTIONS]

Serves the exchanges of a recording back (a torn last line is skipped with a warning).

Options:
  --max-line <BYTES>   longest line of the recording read (default 16777216); a longer line
                       is refused with its line number

";

/// The help of `mode` (`None`: the general help).
fn help(mode: Option<Mode>) -> String {
    match mode {
        None => USAGE.to_owned(),
        Some(Mode::Serve) => format!("{USAGE_SERVE}{COMMON}"),
        Some(Mode::Proxy) => format!("{USAGE_PROXY}{COMMON}"),
        Some(Mode::Replay) => format!("{USAGE_REPLAY}{COMMON}"),
    }
}

/// The one usage line of `mode`, for error messages.
fn usage_line(mode: Option<Mode>) -> &'static str {
    match mode {
        None | Some(Mode::Serve) => "cloudflare-ssl-mock [serve] [OPTIONS]",
        Some(Mode::Proxy) => "cloudflare-ssl-mock proxy [OPTIONS]",
        Some(Mode::Replay) => "cloudflare-ssl-mock replay FILE [OPTIONS]",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serve,
    Proxy,
    Replay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Human,
    Env,
    Json,
}

#[derive(Debug)]
struct Args {
    mode: Mode,
    host: Option<IpAddr>,
    port: Option<u16>,
    output: Output,
    preset: Option<Preset>,
    step: Option<Duration>,
    token: Option<String>,
    rate_limit: bool,
    packs: Option<u32>,
    record: Option<PathBuf>,
    redact_ids: bool,
    upstream: Option<String>,
    report: Option<PathBuf>,
    max_body: Option<usize>,
    file: Option<PathBuf>,
    limits: ServerLimits,
    no_admin: bool,
    admin_token: Option<String>,
    admin_hosts: Vec<String>,
    max_fault_rules: Option<usize>,
    max_latency: Option<Duration>,
    max_record_body: Option<usize>,
    max_line: Option<usize>,
    max_validate_body: Option<usize>,
    max_stored_violations: Option<usize>,
    routes: Option<PathBuf>,
    max_user_routes: Option<usize>,
    record_har: Option<PathBuf>,
}

/// What the command line asks for.
#[derive(Debug)]
enum Parsed {
    Run(Box<Args>),
    /// `--help`, after a command word or not.
    Help(Option<Mode>),
}

/// A usage error and the command it is about.
#[derive(Debug)]
struct UsageError {
    mode: Option<Mode>,
    message: String,
}

fn seconds(parser: &mut lexopt::Parser, flag: &str) -> Result<Duration, String> {
    let secs: f64 = parse_value(parser, flag)?;
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("invalid value `{secs}` for {flag}: a positive number of seconds"))
}

fn parse_value<T: std::str::FromStr>(parser: &mut lexopt::Parser, flag: &str) -> Result<T, String> {
    let value = parser.value().map_err(|e| e.to_string())?;
    let text = value.to_string_lossy().into_owned();
    text.parse()
        .map_err(|_| format!("invalid value `{text}` for {flag}"))
}

fn parse(parser: lexopt::Parser) -> Result<Parsed, UsageError> {
    let mut mode = None;
    parse_into(parser, &mut mode).map_err(|message| UsageError { mode, message })
}

fn parse_into(mut parser: lexopt::Parser, mode: &mut Option<Mode>) -> Result<Parsed, String> {
    use lexopt::prelude::*;
    let mut args = Args {
        mode: Mode::Serve,
        host: None,
        port: None,
        output: Output::Human,
        preset: None,
        step: None,
        token: None,
        rate_limit: true,
        packs: None,
        record: None,
        redact_ids: false,
        upstream: None,
        report: None,
        max_body: None,
        file: None,
        limits: ServerLimits::default(),
        no_admin: false,
        admin_token: None,
        admin_hosts: Vec::new(),
        max_fault_rules: None,
        max_latency: None,
        max_record_body: None,
        max_line: None,
        max_validate_body: None,
        max_stored_violations: None,
        routes: None,
        max_user_routes: None,
        record_har: None,
    };
    let mut mode_given = false;
    let mut only: Vec<(&str, Mode)> = Vec::new();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Parsed::Help(*mode)),
            Long("header-timeout") => {
                args.limits = args
                    .limits
                    .header_timeout(seconds(&mut parser, "--header-timeout")?);
            }
            Long("idle-timeout") => {
                args.limits = args
                    .limits
                    .idle_timeout(seconds(&mut parser, "--idle-timeout")?);
            }
            Long("max-connections") => {
                let n: usize = parse_value(&mut parser, "--max-connections")?;
                if n == 0 {
                    return Err("invalid value `0` for --max-connections: at least 1".into());
                }
                args.limits = args.limits.max_connections(n);
            }
            Long("max-body-in-flight") => {
                let n: usize = parse_value(&mut parser, "--max-body-in-flight")?;
                if n == 0 {
                    return Err("invalid value `0` for --max-body-in-flight: at least 1".into());
                }
                args.limits = args.limits.max_body_in_flight(n);
            }
            Long("no-admin") => {
                args.no_admin = true;
                only.push(("--no-admin", Mode::Serve));
            }
            Long("admin-token") => {
                args.admin_token = Some(parse_value(&mut parser, "--admin-token")?);
            }
            Long("admin-host") => {
                args.admin_hosts
                    .push(parse_value(&mut parser, "--admin-host")?);
            }
            Long("max-fault-rules") => {
                args.max_fault_rules = Some(parse_value(&mut parser, "--max-fault-rules")?);
                only.push(("--max-fault-rules", Mode::Serve));
            }
            Long("max-latency-ms") => {
                let ms: u64 = parse_value(&mut parser, "--max-latency-ms")?;
                args.max_latency = Some(Duration::from_millis(ms));
                only.push(("--max-latency-ms", Mode::Serve));
            }
            Long("max-record-body") => {
                args.max_record_body = Some(parse_value(&mut parser, "--max-record-body")?);
            }
            Long("max-validate-body") => {
                args.max_validate_body = Some(parse_value(&mut parser, "--max-validate-body")?);
                only.push(("--max-validate-body", Mode::Proxy));
            }
            Long("max-stored-violations") => {
                args.max_stored_violations =
                    Some(parse_value(&mut parser, "--max-stored-violations")?);
                only.push(("--max-stored-violations", Mode::Proxy));
            }
            Long("record-har") => {
                args.record_har = Some(parse_value::<String>(&mut parser, "--record-har")?.into());
            }
            Long("routes") => {
                args.routes = Some(parse_value::<String>(&mut parser, "--routes")?.into());
                only.push(("--routes", Mode::Serve));
            }
            Long("max-user-routes") => {
                args.max_user_routes = Some(parse_value(&mut parser, "--max-user-routes")?);
                only.push(("--max-user-routes", Mode::Serve));
            }
            Long("max-line") => {
                args.max_line = Some(parse_value(&mut parser, "--max-line")?);
                only.push(("--max-line", Mode::Replay));
            }
            Long("host") => args.host = Some(parse_value(&mut parser, "--host")?),
            Short('p') | Long("port") => args.port = Some(parse_value(&mut parser, "--port")?),
            Long("print-env") => args.output = Output::Env,
            Long("json") => args.output = Output::Json,
            Long("preset") => {
                let name: String = parse_value(&mut parser, "--preset")?;
                args.preset = Some(match name.as_str() {
                    "demo" => Preset::Demo,
                    "realistic" => Preset::Realistic,
                    "manual" => Preset::Manual,
                    other => {
                        return Err(format!(
                            "unknown preset `{other}` (demo, realistic, manual)"
                        ))
                    }
                });
                only.push(("--preset", Mode::Serve));
            }
            Long("manual-clock") => {
                args.preset = Some(Preset::Manual);
                only.push(("--manual-clock", Mode::Serve));
            }
            Long("step-secs") => {
                let secs: f64 = parse_value(&mut parser, "--step-secs")?;
                let step = Duration::try_from_secs_f64(secs)
                    .map_err(|_| format!("invalid value `{secs}` for --step-secs"))?;
                args.step = Some(step);
                only.push(("--step-secs", Mode::Serve));
            }
            Long("token") => {
                args.token = Some(parse_value(&mut parser, "--token")?);
                only.push(("--token", Mode::Serve));
            }
            Long("no-rate-limit") => {
                args.rate_limit = false;
                only.push(("--no-rate-limit", Mode::Serve));
            }
            Long("packs") => {
                args.packs = Some(parse_value(&mut parser, "--packs")?);
                only.push(("--packs", Mode::Serve));
            }
            Long("record") => {
                args.record = Some(parse_value::<String>(&mut parser, "--record")?.into())
            }
            Long("redact-ids") => args.redact_ids = true,
            Long("upstream") => {
                args.upstream = Some(parse_value(&mut parser, "--upstream")?);
                only.push(("--upstream", Mode::Proxy));
            }
            Long("report") => {
                args.report = Some(parse_value::<String>(&mut parser, "--report")?.into());
                only.push(("--report", Mode::Proxy));
            }
            Long("max-body") => {
                args.max_body = Some(parse_value(&mut parser, "--max-body")?);
                only.push(("--max-body", Mode::Proxy));
            }
            Value(value) if !mode_given && args.file.is_none() => {
                let word = value.to_string_lossy().into_owned();
                args.mode = match word.as_str() {
                    "serve" => Mode::Serve,
                    "proxy" => Mode::Proxy,
                    "replay" => Mode::Replay,
                    other => {
                        return Err(format!("unknown command `{other}` (serve, proxy, replay)"))
                    }
                };
                mode_given = true;
                *mode = Some(args.mode);
            }
            Value(value) if args.mode == Mode::Replay && args.file.is_none() => {
                args.file = Some(PathBuf::from(value));
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    for (flag, mode) in only {
        if mode != args.mode {
            return Err(format!("{flag} does not apply to this command"));
        }
    }
    if args.mode == Mode::Replay {
        if args.file.is_none() {
            return Err("replay needs the FILE of a recording".into());
        }
        if args.record.is_some() || args.record_har.is_some() || args.redact_ids {
            return Err("--record, --record-har and --redact-ids do not apply to replay".into());
        }
    }
    let recording = args.record.is_some() || args.record_har.is_some();
    if args.redact_ids && !recording {
        return Err("--redact-ids needs --record or --record-har".into());
    }
    if args.max_record_body.is_some() && !recording {
        return Err("--max-record-body needs --record or --record-har".into());
    }
    if args.mode == Mode::Replay && (args.admin_token.is_some() || !args.admin_hosts.is_empty()) {
        return Err("--admin-token and --admin-host do not apply to replay".into());
    }
    if args.admin_token.is_none() {
        args.admin_token = std::env::var("CLOUDFLARE_SSL_MOCK_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty());
    }
    Ok(Parsed::Run(Box::new(args)))
}

fn main() -> ExitCode {
    let args = match parse(lexopt::Parser::from_env()) {
        Ok(Parsed::Run(args)) => *args,
        Ok(Parsed::Help(mode)) => {
            print!("{}", help(mode));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let command = match e.mode {
                Some(Mode::Proxy) => "proxy ",
                Some(Mode::Replay) => "replay ",
                Some(Mode::Serve) => "serve ",
                None => "",
            };
            eprintln!(
                "error: {}\nUsage: {}\nRun `cloudflare-ssl-mock {command}--help` for more.",
                e.message,
                usage_line(e.mode)
            );
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
    runtime.block_on(async move {
        let result = match args.mode {
            Mode::Serve => serve(args).await,
            Mode::Proxy => proxy(args).await,
            Mode::Replay => replay(args).await,
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Largest `--routes` file read.
const MAX_ROUTES_FILE: u64 = 4 << 20;

/// The user routes of a `--routes` file (a JSON array).
fn read_routes(path: &std::path::Path) -> Result<Vec<UserRoute>, String> {
    use std::io::Read as _;
    let file =
        std::fs::File::open(path).map_err(|e| format!("--routes {}: {e}", path.display()))?;
    let mut text = Vec::new();
    file.take(MAX_ROUTES_FILE + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("--routes {}: {e}", path.display()))?;
    if text.len() as u64 > MAX_ROUTES_FILE {
        return Err(format!(
            "--routes {}: larger than {MAX_ROUTES_FILE} bytes",
            path.display()
        ));
    }
    let routes: Vec<UserRoute> = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "--routes {}: not a JSON array of routes ({{\"method\", \"path\", \"status\", \"body\"}}): {e}",
            path.display()
        )
    })?;
    for (i, route) in routes.iter().enumerate() {
        route
            .check()
            .map_err(|e| format!("--routes {}: route {i}: {e}", path.display()))?;
    }
    Ok(routes)
}

/// Single-quotes a value for a POSIX shell.
fn shell_quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

fn print_env(vars: &[(&str, &str)]) {
    for (name, value) in vars {
        println!("export {name}={}", shell_quote(value));
    }
}

async fn wait_for_ctrl_c() -> Result<(), String> {
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    eprintln!("stopping");
    Ok(())
}

fn record_options(args: &Args) -> RecordOptions {
    RecordOptions::default()
        .redact_ids(args.redact_ids)
        .max_body(args.max_record_body.unwrap_or(DEFAULT_MAX_RECORD_BODY))
}

async fn serve(args: Args) -> Result<(), String> {
    let preset = args.preset.unwrap_or(Preset::Realistic);
    let port = args.port.unwrap_or(8787);
    let mut builder = MockServer::builder()
        .port(port)
        .preset(preset)
        .limits(args.limits)
        .admin_routes(!args.no_admin);
    if let Some(token) = &args.admin_token {
        builder = builder.admin_token(token.clone());
    }
    for host in &args.admin_hosts {
        builder = builder.admin_host(host.clone());
    }
    if let Some(n) = args.max_fault_rules {
        builder = builder.max_fault_rules(n);
    }
    if let Some(latency) = args.max_latency {
        builder = builder.max_latency(latency);
    }
    if let Some(n) = args.max_user_routes {
        builder = builder.max_user_routes(n);
    }
    if let Some(file) = &args.routes {
        for route in read_routes(file)? {
            builder = builder.route(route);
        }
    }
    if let Some(host) = args.host {
        builder = builder.host(host);
    }
    if let Some(token) = &args.token {
        builder = builder.token(token.clone());
    }
    if let Some(step) = args.step {
        builder = builder.timings(LifecycleTimings::uniform(step));
    }
    if !args.rate_limit {
        builder = builder.rate_limit(None);
    }
    if let Some(packs) = args.packs {
        let mut zones = ZoneSeed::defaults();
        if let Some(first) = zones.first_mut() {
            first.advanced_packs = packs;
            first.advanced_quota = first.advanced_quota.max(packs);
        }
        builder = builder.zones(zones);
    }
    if let Some(file) = &args.record {
        builder = builder.record(file.clone());
    }
    if let Some(file) = &args.record_har {
        builder = builder.record_har(file.clone());
    }
    builder = builder.record_options(record_options(&args));
    let mock = builder
        .try_start()
        .await
        .map_err(|e| format!("cannot start the mock on port {port}: {e}"))?;
    let zone_id = mock.zone_id().to_owned();
    match args.output {
        Output::Env => print_env(&[
            ("CLOUDFLARE_BASE_URL", &mock.base_url()),
            ("CLOUDFLARE_API_TOKEN", mock.token()),
            ("CLOUDFLARE_ZONE_ID", &zone_id),
        ]),
        Output::Json => {
            let zones: Vec<_> = mock
                .zones()
                .into_iter()
                .map(|z| json!({"id": z.id, "name": z.name}))
                .collect();
            println!(
                "{}",
                json!({
                    "mode": "serve",
                    "base_url": mock.base_url(),
                    "admin_url": mock.admin_url(),
                    "addr": mock.addr().to_string(),
                    "token": mock.token(),
                    "zone_id": zone_id,
                    "zones": zones,
                    "api_email": mock.api_email(),
                    "api_key": mock.api_key(),
                    "user_service_key": mock.user_service_key(),
                    "preset": format!("{preset:?}").to_ascii_lowercase(),
                })
            );
        }
        Output::Human => {
            println!("Cloudflare SSL/TLS API mock listening on {}", mock.addr());
            println!();
            println!("  CLOUDFLARE_BASE_URL={}", mock.base_url());
            println!("  CLOUDFLARE_API_TOKEN={}", mock.token());
            println!("  CLOUDFLARE_ZONE_ID={zone_id}");
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
                "  preset:        {} ",
                format!("{preset:?}").to_ascii_lowercase()
            );
            println!(
                "  admin routes:  {}/ (faults, clock, counters, reset)",
                mock.admin_url()
            );
            if let Some(file) = &args.record {
                println!("  recording to:  {}", file.display());
            }
            println!();
            println!("Press Ctrl-C to stop.");
        }
    }
    if args.host.is_some_and(|h| !h.is_loopback()) {
        eprintln!(
            "warning: listening on {}: the mock is reachable from other hosts (admin routes: \
             token required or off)",
            mock.addr()
        );
    }
    wait_for_ctrl_c().await
}

async fn proxy(args: Args) -> Result<(), String> {
    let upstream = args
        .upstream
        .clone()
        .unwrap_or_else(|| DEFAULT_UPSTREAM.to_owned());
    let mut config = ProxyConfig::new(&upstream)
        .map_err(|e| e.to_string())?
        .port(args.port.unwrap_or(8788))
        .stderr(true)
        .max_body(args.max_body.unwrap_or(DEFAULT_MAX_BODY))
        .limits(args.limits);
    if let Some(n) = args.max_validate_body {
        config = config.max_validate_body(n);
    }
    if let Some(n) = args.max_stored_violations {
        config = config.max_stored_violations(n);
    }
    if let Some(token) = &args.admin_token {
        config = config.admin_token(token.clone());
    }
    for host in &args.admin_hosts {
        config = config.admin_host(host.clone());
    }
    if let Some(host) = args.host {
        config = config.host(host);
    }
    if let Some(report) = &args.report {
        config = config.report(report.clone());
    }
    if let Some(record) = &args.record {
        config = config.record(record.clone());
    }
    if let Some(har) = &args.record_har {
        config = config.record_har(har.clone());
    }
    config = config.record_options(record_options(&args));
    let proxy = Proxy::start(config).await.map_err(|e| e.to_string())?;
    if args.host.is_some_and(|h| !h.is_loopback()) {
        eprintln!(
            "warning: listening on {}: other hosts can send requests through this proxy with \
             the credentials they present",
            proxy.addr()
        );
    }
    match args.output {
        Output::Env => print_env(&[("CLOUDFLARE_BASE_URL", &proxy.base_url())]),
        Output::Json => println!(
            "{}",
            json!({
                "mode": "proxy",
                "base_url": proxy.base_url(),
                "admin_url": proxy.admin_url(),
                "addr": proxy.addr().to_string(),
                "upstream": proxy.upstream(),
                "report": args.report.as_ref().map(|p| p.display().to_string()),
                "record": args.record.as_ref().map(|p| p.display().to_string()),
            })
        ),
        Output::Human => {
            println!("Conformance proxy listening on {}", proxy.addr());
            println!();
            println!("  CLOUDFLARE_BASE_URL={}", proxy.base_url());
            println!();
            println!("  upstream:      {}", proxy.upstream());
            println!("  violations:    stderr, {}/violations", proxy.admin_url());
            if let Some(report) = &args.report {
                println!("  report:        {}", report.display());
            }
            if let Some(record) = &args.record {
                println!("  recording to:  {}", record.display());
            }
            println!("  credentials are forwarded as sent and never logged");
            println!();
            println!("Press Ctrl-C to stop.");
        }
    }
    wait_for_ctrl_c().await?;
    eprintln!(
        "{} exchanges, {} contract violations",
        proxy.exchanges(),
        proxy.violations_total()
    );
    Ok(())
}

async fn replay(args: Args) -> Result<(), String> {
    let file = args.file.clone().unwrap_or_default();
    let recording = cloudflare_ssl_mock::record::read_recording_with(
        &file,
        args.max_line.unwrap_or(DEFAULT_MAX_LINE),
    )?;
    for warning in &recording.warnings {
        eprintln!("warning: {warning}");
    }
    let exchanges = recording.exchanges;
    let mut config = ReplayConfig::new(exchanges.clone())
        .port(args.port.unwrap_or(8789))
        .stderr(true)
        .limits(args.limits);
    if let Some(host) = args.host {
        config = config.host(host);
    }
    let zone_id = exchanges
        .iter()
        .find_map(|x| {
            x.path
                .strip_prefix("/zones/")
                .and_then(|rest| rest.split('/').next())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let replay = Replay::start(config)
        .await
        .map_err(|e| format!("cannot start the replay: {e}"))?;
    match args.output {
        Output::Env => print_env(&[
            ("CLOUDFLARE_BASE_URL", &replay.base_url()),
            ("CLOUDFLARE_API_TOKEN", "replay"),
            ("CLOUDFLARE_ZONE_ID", &zone_id),
        ]),
        Output::Json => println!(
            "{}",
            json!({
                "mode": "replay",
                "base_url": replay.base_url(),
                "addr": replay.addr().to_string(),
                "token": "replay",
                "zone_id": zone_id,
                "exchanges": exchanges.len(),
            })
        ),
        Output::Human => {
            println!(
                "Replaying {} exchanges of {} on {}",
                exchanges.len(),
                file.display(),
                replay.addr()
            );
            println!();
            println!("  CLOUDFLARE_BASE_URL={}", replay.base_url());
            println!("  CLOUDFLARE_API_TOKEN=replay   (any credentials are accepted)");
            println!("  CLOUDFLARE_ZONE_ID={zone_id}");
            println!();
            println!("Press Ctrl-C to stop.");
        }
    }
    wait_for_ctrl_c().await?;
    eprintln!(
        "{} exchanges not replayed, {} misses",
        replay.remaining(),
        replay.misses().len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Option<Args>, String> {
        match parse(lexopt::Parser::from_args(list.iter().copied())) {
            Ok(Parsed::Run(a)) => Ok(Some(*a)),
            Ok(Parsed::Help(_)) => Ok(None),
            Err(e) => Err(e.message),
        }
    }

    #[test]
    fn subcommands_and_flags() {
        let a = args(&["--port", "0", "--json"])
            .ok()
            .flatten()
            .expect("serve");
        assert_eq!(
            (a.mode, a.port, a.output),
            (Mode::Serve, Some(0), Output::Json)
        );
        let a = args(&[
            "serve",
            "--host",
            "0.0.0.0",
            "--manual-clock",
            "--print-env",
        ])
        .ok()
        .flatten()
        .expect("serve");
        assert_eq!(a.host, "0.0.0.0".parse().ok());
        assert_eq!(a.preset, Some(Preset::Manual));
        assert_eq!(a.output, Output::Env);
        let a = args(&[
            "proxy",
            "--upstream",
            "http://127.0.0.1:8787/client/v4",
            "--report=r.jsonl",
        ])
        .ok()
        .flatten()
        .expect("proxy");
        assert_eq!(a.mode, Mode::Proxy);
        assert_eq!(a.report, Some(PathBuf::from("r.jsonl")));
        let a = args(&["replay", "s.jsonl", "-p", "9000"])
            .ok()
            .flatten()
            .expect("replay");
        assert_eq!((a.mode, a.port), (Mode::Replay, Some(9000)));
        assert_eq!(a.file, Some(PathBuf::from("s.jsonl")));
        assert!(args(&["-h"]).is_ok_and(|a| a.is_none()));
        for bad in [
            &["--port", "x"][..],
            &["proxy", "--packs", "3"],
            &["serve", "--upstream", "https://x"],
            &["replay"],
            &["dance"],
            &["--redact-ids"],
            &["--preset", "slow"],
            &["--nope"],
        ] {
            assert!(args(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn help_per_command_and_short_errors() {
        let help_of = |list: &[&str]| match parse(lexopt::Parser::from_args(list.iter().copied())) {
            Ok(Parsed::Help(mode)) => help(mode),
            other => panic!("{other:?}"),
        };
        assert!(help_of(&["proxy", "--help"]).contains("--upstream"));
        assert!(!help_of(&["proxy", "--help"]).contains("--preset"));
        assert!(help_of(&["replay", "-h"]).contains("--max-line"));
        assert!(help_of(&["serve", "-h"]).contains("--admin-token"));
        assert!(help_of(&["--help"]).contains("COMMAND --help"));
        let Err(e) = parse(lexopt::Parser::from_args(["proxy", "--packs", "3"])) else {
            panic!("accepted")
        };
        assert_eq!(e.mode, Some(Mode::Proxy));
        assert!(e.message.contains("--packs"), "{}", e.message);
        for bad in [
            &["--max-connections", "0"][..],
            &["--header-timeout", "-1"],
            &["--idle-timeout", "0"],
            &["replay", "f", "--admin-token", "t"],
            &["--max-record-body", "9"],
        ] {
            assert!(args(bad).is_err(), "{bad:?}");
        }
        let a = args(&[
            "--max-connections",
            "7",
            "--header-timeout",
            "2.5",
            "--no-admin",
        ])
        .ok()
        .flatten()
        .expect("serve");
        assert_eq!(a.limits.max_connections, 7);
        assert_eq!(a.limits.header_timeout, Duration::from_millis(2500));
        assert!(a.no_admin);
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(
            shell_quote("http://127.0.0.1:8787/client/v4"),
            "http://127.0.0.1:8787/client/v4"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote(""), "''");
    }
}

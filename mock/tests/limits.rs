//! Connection hygiene of the mock's server loop (shared by the proxy and the replay): header and
//! idle timeouts, the connection cap, and the global budget of request-body bytes in flight.
//! Every wait is bounded; the bounds asserted are the server's counters, not RSS.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cloudflare_ssl_mock::{MockServer, ServerLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous upper bound of every wait in these tests.
const BOUND: Duration = Duration::from_secs(20);

/// Sends a complete authenticated GET and returns the status line.
async fn quota_status(mock: &MockServer) -> String {
    let mut stream = TcpStream::connect(mock.addr()).await.expect("connect");
    let request = format!(
        "GET /client/v4/zones/{}/ssl/certificate_packs/quota HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         authorization: Bearer {}\r\nconnection: close\r\n\r\n",
        mock.zone_id(),
        mock.token()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let text = read_to_close(&mut stream).await;
    text.lines().next().unwrap_or_default().to_owned()
}

/// Reads until the server closes (bounded by [`BOUND`]).
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(BOUND, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Waits (bounded) until the server closes `stream`; returns how long it took.
async fn closed_after(mut stream: TcpStream, started: Instant) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_header_connections_are_closed_within_the_header_timeout() {
    let header_timeout = Duration::from_millis(500);
    let mock = MockServer::builder()
        .limits(ServerLimits::default().header_timeout(header_timeout))
        .rate_limit(None)
        .start()
        .await;
    let addr = mock.addr();
    let started = Instant::now();
    // 100 connections that send nothing.
    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(tokio::spawn(closed_after(connect(addr).await, started)));
    }
    // 20 slowloris connections: one header byte every 100 ms, for as long as they stay open.
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = connect(addr).await;
        slow.push(tokio::spawn(async move {
            let _ = stream.write_all(b"GET / HTTP/1.1\r\nx-slow: ").await;
            let deadline = tokio::time::Instant::now() + BOUND;
            let mut buf = [0u8; 1024];
            loop {
                tokio::select! {
                    read = stream.read(&mut buf) => match read {
                        Ok(0) | Err(_) => return Some(started.elapsed()),
                        Ok(_) => {}
                    },
                    () = tokio::time::sleep(Duration::from_millis(100)) => {
                        if stream.write_all(b"a").await.is_err() {
                            return Some(started.elapsed());
                        }
                    }
                    () = tokio::time::sleep_until(deadline) => return None,
                }
            }
        }));
    }
    // Other clients are answered meanwhile.
    assert_eq!(quota_status(&mock).await, "HTTP/1.1 200 OK");
    for task in silent.into_iter().chain(slow) {
        let closed = task.await.expect("task").expect("closed within the bound");
        assert!(
            closed >= header_timeout.mul_f32(0.8) && closed < Duration::from_secs(10),
            "closed after {closed:?}"
        );
    }
    assert_eq!(quota_status(&mock).await, "HTTP/1.1 200 OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_kept_alive_connections_and_stalled_bodies_are_closed_within_the_idle_timeout() {
    let idle = Duration::from_millis(400);
    let mock = MockServer::builder()
        .limits(
            ServerLimits::default()
                .header_timeout(Duration::from_secs(60))
                .idle_timeout(idle),
        )
        .start()
        .await;
    // A connection that sends nothing (the header timeout is a minute away).
    let started = Instant::now();
    let closed = closed_after(connect(mock.addr()).await, started)
        .await
        .expect("closed");
    assert!(
        closed >= idle.mul_f32(0.8) && closed < Duration::from_secs(10),
        "{closed:?}"
    );

    // A kept-alive connection after its answer.
    let mut stream = connect(mock.addr()).await;
    let request = format!(
        "GET /client/v4/zones/{}/ssl/certificate_packs/quota HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         authorization: Bearer {}\r\n\r\n",
        mock.zone_id(),
        mock.token()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(BOUND, stream.read(&mut buf))
        .await
        .expect("answer in time")
        .expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    let closed = closed_after(stream, started).await.expect("closed");
    assert!(
        closed >= idle.mul_f32(0.8) && closed < Duration::from_secs(10),
        "{closed:?}"
    );

    // A body that stalls halfway: 408, then closed; its bytes are released.
    let mut stream = connect(mock.addr()).await;
    let head = format!(
        "POST /client/v4/zones/{}/ssl/certificate_packs/order HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         authorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{\"hosts\":",
        mock.zone_id(),
        mock.token()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("idle_timeout"), "{answer}");
    assert_eq!(mock.body_bytes_in_flight(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_refused_at_once_and_others_are_answered_after() {
    let mock = MockServer::builder()
        .limits(ServerLimits::default().max_connections(20))
        .start()
        .await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(connect(mock.addr()).await);
    }
    let deadline = Instant::now() + BOUND;
    while mock.open_connections() < 20 && Instant::now() < deadline {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(mock.open_connections(), 20);
    // One more: a 503 at once (no hang), then closed.
    let mut extra = connect(mock.addr()).await;
    let answer = read_to_close(&mut extra).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("max_connections"), "{answer}");
    // Ones that sent their request at once (before the server accepted them) still read the
    // 503, not a reset.
    let mut eager = Vec::new();
    for _ in 0..30 {
        let mut stream = connect(mock.addr()).await;
        let _ = stream
            .write_all(b"GET /client/v4/zones HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            .await;
        eager.push(stream);
    }
    for mut stream in eager {
        let answer = read_to_close(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    }
    assert!(mock.refused_connections() >= 2);
    assert!(mock.open_connections() <= 20);
    drop(held);
    // The slots come back: a client is answered (bounded retries while they are released).
    let deadline = Instant::now() + BOUND;
    let mut status = String::new();
    while Instant::now() < deadline {
        status = quota_status(&mock).await;
        if status == "HTTP/1.1 200 OK" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, "HTTP/1.1 200 OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifteen_hundred_half_sent_bodies_hold_at_most_the_body_budget() {
    let budget = 8 << 20;
    let mock = MockServer::builder()
        .limits(
            ServerLimits::default()
                .max_connections(2000)
                .max_body_in_flight(budget),
        )
        .rate_limit(None)
        .start()
        .await;
    let order = format!(
        "POST /client/v4/zones/{}/ssl/certificate_packs/order HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         authorization: Bearer {}\r\ncontent-type: application/json\r\n",
        mock.zone_id(),
        mock.token()
    );
    let mut streams = Vec::new();
    for i in 0..1500 {
        let mut stream = connect(mock.addr()).await;
        if i % 2 == 0 {
            // Declares 1 MiB - 1 bytes, sends 1 KiB, stalls.
            let head = format!("{order}content-length: {}\r\n\r\n", (1 << 20) - 1);
            stream.write_all(head.as_bytes()).await.expect("head");
            stream.write_all(&[b' '; 1024]).await.expect("part");
        } else {
            // Chunked: one 16 KiB chunk, then stalls.
            let head = format!("{order}transfer-encoding: chunked\r\n\r\n4000\r\n");
            stream.write_all(head.as_bytes()).await.expect("head");
            stream.write_all(&[b' '; 0x4000]).await.expect("part");
            stream.write_all(b"\r\n").await.expect("crlf");
        }
        streams.push(stream);
        assert!(mock.body_bytes_in_flight() <= budget);
    }
    // Every connection is either refused (503) or held: read each for a short while, at once.
    let reads: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let mut buf = [0u8; 512];
                match tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buf)).await {
                    Ok(Ok(n)) if n > 0 => {
                        (None, Some(String::from_utf8_lossy(&buf[..n]).into_owned()))
                    }
                    _ => (Some(stream), None),
                }
            })
        })
        .collect();
    let mut refused = 0;
    let mut still_open = Vec::new();
    for read in reads {
        match read.await.expect("task") {
            (_, Some(text)) => {
                assert!(text.starts_with("HTTP/1.1 503"), "{text}");
                assert!(text.contains("max_body_in_flight"), "{text}");
                refused += 1;
            }
            (Some(stream), None) => still_open.push(stream),
            (None, None) => {}
        }
    }
    let held = mock.body_bytes_in_flight();
    assert!(held <= budget, "{held} bytes held");
    assert!(held > budget / 2, "the attack holds bodies: {held}");
    assert!(refused > 1000, "{refused} refused");
    // Another client is answered meanwhile.
    assert_eq!(quota_status(&mock).await, "HTTP/1.1 200 OK");
    drop(still_open);
    let deadline = Instant::now() + BOUND;
    while mock.body_bytes_in_flight() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(mock.body_bytes_in_flight(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_past_64_kib_is_refused() {
    let mock = MockServer::builder().start().await;
    let mut stream = connect(mock.addr()).await;
    let head = format!(
        "GET /client/v4/zones HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: {}\r\n\r\n",
        "a".repeat(100 << 10)
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{:?}", answer.get(..80));
    // A head under the limit is served.
    let mut stream = connect(mock.addr()).await;
    let head = format!(
        "GET /client/v4/zones/{}/ssl/certificate_packs/quota HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         authorization: Bearer {}\r\nx-big: {}\r\nconnection: close\r\n\r\n",
        mock.zone_id(),
        mock.token(),
        "a".repeat(32 << 10)
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{:?}", answer.get(..80));
}

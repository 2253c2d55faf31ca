//! Connections are bounded: more silent or slowloris connections than the
//! cap do not stop `/healthz` from answering, a half-open connection is
//! closed after the header timeout, a stalled body after the idle timeout.
//! Loopback only, a bounded number of sockets, a few seconds.
//! (HTTP layer only: the same on either backend, so run on SQLite.)

mod common;

use common::*;
use headoffice::access::Access;
use headoffice::http::Limits;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const CAP: usize = 8;

fn limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        max_connections: CAP,
        ..Limits::default()
    }
}

/// Seconds until the server closes `s` (reads until EOF or an error).
fn closed_after(mut s: TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    s.set_read_timeout(Some(limit)).expect("timeout");
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None
            }
            Err(_) => return Some(start.elapsed()),
        }
    }
}

#[test]
fn silent_and_slow_clients_cannot_starve_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("ho.db").display());
    let store = headoffice::store::open(&url).expect("store");
    let srv = Server::start(store, Access::default(), limits());

    // A half-open connection alone is closed once the header timeout passes.
    let lone = TcpStream::connect(srv.addr).expect("connect");
    let t =
        closed_after(lone, Duration::from_secs(10)).expect("a silent connection must be closed");
    assert!(
        t < Duration::from_secs(4),
        "closed after {t:?}, header timeout 1 s"
    );

    // Three times the cap of silent connections, and slowloris clients that
    // send a header byte every 200 ms.
    let silent: Vec<TcpStream> = (0..3 * CAP)
        .map(|_| TcpStream::connect(srv.addr).expect("connect"))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let slow: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            let addr = srv.addr;
            std::thread::spawn(move || {
                let Ok(mut s) = TcpStream::connect(addr) else {
                    return;
                };
                let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ");
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if s.write_all(b"a").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let (st, body) = http(srv.addr, "GET", "/healthz", None, b"");
    let waited = start.elapsed();
    assert_eq!(st, 200, "{body}");
    assert!(
        waited < Duration::from_secs(8),
        "/healthz took {waited:?} behind {} silent connections (cap {CAP})",
        silent.len()
    );
    eprintln!("/healthz answered in {waited:?} behind {} silent and 4 slowloris connections (cap {CAP}, header timeout 1 s)", silent.len());
    // The silent ones were all closed by the server, not left open.
    for s in silent {
        assert!(
            closed_after(s, Duration::from_secs(10)).is_some(),
            "a silent connection stayed open"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in slow {
        let _ = t.join();
    }

    // Headers sent, body stalled: closed after the idle timeout.
    let mut stalled = TcpStream::connect(srv.addr).expect("connect");
    stalled
        .write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nAuthorization: Bearer x\r\n\r\n{\"ver")
        .expect("write");
    let t = closed_after(stalled, Duration::from_secs(15)).expect("a stalled body must be closed");
    assert!(
        t < Duration::from_secs(8),
        "closed after {t:?}, idle timeout 2 s"
    );
    assert_eq!(http(srv.addr, "GET", "/healthz", None, b"").0, 200);
}

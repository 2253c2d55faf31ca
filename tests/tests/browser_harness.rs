//! The browser harness itself, against a tiny page served on loopback by
//! the test: navigation, forms, clicks, text by selector, a wait for a live
//! update, window sizes and a PNG screenshot; and that drop ends every
//! process it started.

use comptoir_e2e::browser::Browser;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

const PAGE: &str = r#"<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>Essai</title></head>
<body><h1 id="t">Bonjour</h1>
<form method="post" action="/sent"><input id="name" name="name" value="vide">
<button id="go" type="submit">Envoyer</button></form>
<p id="live">0</p>
<script>setTimeout(function(){document.getElementById('live').textContent='42 €'},300)</script>
</body></html>"#;

/// Serves PAGE on GET and echoes a posted form back; one thread per connection.
fn serve() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            std::thread::spawn(move || answer(c));
        }
    });
    format!("http://{addr}")
}

fn answer(mut c: TcpStream) {
    let mut r = BufReader::new(c.try_clone().expect("clone"));
    let mut first = String::new();
    if r.read_line(&mut first).is_err() {
        return;
    }
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    let _ = r.read_exact(&mut body);
    let html = if first.starts_with("POST") {
        format!(
            "<!doctype html><html><body><p id=\"echo\">{}</p></body></html>",
            String::from_utf8_lossy(&body)
        )
    } else {
        PAGE.to_string()
    };
    let _ = write!(
        c,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
        html.len()
    );
}

/// The pids of the processes in a process group (from /proc).
fn group_members(pgid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...: comm may hold spaces, split after ')'.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid) && f.first() != Some(&"Z") {
            out.push(pid);
        }
    }
    out
}

#[test]
fn drives_a_page_and_cleans_up() {
    let Some(b) = Browser::start() else { return };
    let url = serve();
    b.goto(&url);
    assert_eq!(b.title(), "Essai");
    assert_eq!(b.text("#t"), "Bonjour");
    // The live update lands after the page loaded.
    let live = b.wait_text("#live", Duration::from_secs(5), |t| t != "0");
    assert_eq!(live, "42 €");
    b.fill("#name", "Léa & co");
    assert_eq!(b.find("#name").value(), "Léa & co");
    b.click("#go");
    assert_eq!(b.text("#echo"), "name=L%C3%A9a+%26+co");
    assert!(b.current_url().ends_with("/sent"));
    assert!(!b.exists("#t"));

    for (w, h) in [(1280, 800), (390, 844)] {
        b.set_viewport(w, h);
        b.goto(&url);
        let got = b.execute("return [window.innerWidth, window.innerHeight]", &[]);
        assert_eq!(got, serde_json::json!([w, h]));
        let dir = tempfile::tempdir().expect("tempdir");
        let png = dir.path().join("shot.png");
        b.screenshot(&png);
        let bytes = std::fs::read(&png).expect("png");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, at bytes 16..24.
        let dim = |o: usize| u32::from_be_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        assert_eq!((dim(16), dim(20)), (w, h), "screenshot size");
    }

    let pgid = b.driver_pid();
    assert!(
        group_members(pgid).len() >= 2,
        "chromedriver and Chromium run"
    );
    drop(b);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        group_members(pgid),
        Vec::<u32>::new(),
        "left running after drop"
    );
}

#[test]
fn a_panicking_test_leaves_no_browser_behind() {
    if comptoir_e2e::browser::tools().is_none() {
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        let b = Browser::start().expect("tools are there");
        tx.send(b.driver_pid()).expect("send");
        panic!("on purpose, with the browser open");
    });
    assert!(t.join().is_err());
    let pgid = rx.recv().expect("pid");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        group_members(pgid),
        Vec::<u32>::new(),
        "left running after a panic"
    );
}

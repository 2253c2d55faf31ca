//! A writer killed at a random instant (SIGKILL, no cleanup) loses no
//! acknowledged event and leaves no half event: the journal verifies, every
//! seq the writer reported as appended is there, and the basket cleared with
//! a sale is gone exactly when the sale is there.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use till_journal::{verify, Journal, VerifyOptions};

/// The child: appends until killed, printing each acknowledged seq.
#[test]
#[ignore]
fn crash_child_writer() {
    let Ok(dir) = std::env::var("CRASH_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let j = open_new(&dir);
    let mut i = 0u64;
    loop {
        i += 1;
        j.save_basket(format!("basket {i}").as_bytes()).unwrap();
        let a = j
            .append_and_clear_basket(ts(10, 0, 0, 0), &five_line_sale(i, "2026-11-23"))
            .unwrap();
        println!("ACK {}", a.seq);
    }
}

#[test]
fn killed_writer_loses_nothing_acknowledged() {
    let exe = std::env::current_exe().unwrap();
    for round in 0..3u64 {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child_writer", "--ignored", "--nocapture"])
            .env("CRASH_DIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(seq) = line.strip_prefix("ACK ") {
                    if tx.send(seq.trim().parse::<u64>().unwrap()).is_err() {
                        break;
                    }
                }
            }
        });
        // Wait until the child is really writing (however loaded the machine),
        // then kill it at a different moment each round.
        let mut acked = Vec::new();
        while acked.len() < 3 {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(seq) => acked.push(seq),
                Err(e) => panic!("the child wrote nothing: {e}"),
            }
        }
        std::thread::sleep(Duration::from_millis(50 + 97 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        acked.extend(rx.try_iter());
        assert!(!acked.is_empty(), "the child wrote nothing");

        let r = verify(db_path(dir.path()), VerifyOptions::default()).unwrap();
        assert!(r.ok, "round {round}: {r:?}");
        let last_acked = *acked.last().unwrap();
        assert!(
            r.head_seq >= last_acked,
            "acked {last_acked}, head {}",
            r.head_seq
        );
        let j = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap();
        for seq in &acked {
            assert!(j.event(*seq).unwrap().is_some(), "acked seq {seq} lost");
        }
        // The basket of the last recorded sale is gone; a basket saved after
        // it (for the next sale) may remain.
        if let Some(b) = j.load_basket().unwrap() {
            let n: u64 = String::from_utf8(b).unwrap()["basket ".len()..]
                .parse()
                .unwrap();
            assert_eq!(
                n, r.head_seq,
                "basket {n} survives but sale seq {} is the head",
                r.head_seq
            );
        }
        // And the journal goes on, gap-free.
        let next = j.append(ts(11, 0, 0, 0), &login("u1")).unwrap();
        assert_eq!(next.seq, r.head_seq + 1);
    }
}

//! `till diag` as a technician runs it, simulators in one process and the
//! diagnostics in another: simulators in the background of an interactive
//! shell, `simulate all` and its till.toml, the words of the drawer
//! messages, and `printer render` on a file with no end.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const TILL: &str = env!("CARGO_BIN_EXE_till");

/// A simulator process, killed when dropped.
struct Sim {
    child: Child,
    /// Its first line of output.
    first: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `till diag simulate ARGS` and waits for its first line.
fn simulate(args: &[&str], dir: &Path) -> Sim {
    let mut child = Command::new(TILL)
        .args(["diag", "simulate"])
        .args(args)
        .args(["--exit-after-ms", "60000"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    // Keep reading, or the simulator dies on a closed pipe at its next line.
    std::thread::spawn(move || for _ in out.lines().map_while(Result::ok) {});
    Sim { child, first }
}

fn till(args: &[&str], dir: &Path) -> Output {
    Command::new(TILL)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Whether tmux can run here (as in app_tmux.rs: required in CI).
fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok || std::env::var_os("COMPTOIR_REQUIRE_TOOLS").is_none(),
        "tmux is required here (COMPTOIR_REQUIRE_TOOLS is set): apt-get install tmux"
    );
    ok
}

/// The state letter of /proc/PID/stat: 'T' is stopped (by SIGTTIN here).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// In an interactive bash (job control on, inside tmux), a program in the
/// background that reads the terminal is stopped by the shell. The README
/// starts simulators with `&`: they must run, print where they are, and
/// answer. The control case (`--interactive`, which does read stdin) is
/// stopped, which shows the set-up catches a read.
#[test]
fn simulators_started_with_ampersand_keep_running_in_an_interactive_shell() {
    if !have_tmux() {
        eprintln!("skipped: tmux not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = format!("comptoir-diag-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .status()
            .unwrap()
    };
    assert!(tmux(&[
        "new-session",
        "-d",
        "-x",
        "150",
        "-y",
        "40",
        "bash --norc --noprofile -i"
    ])
    .success());
    struct Kill<'a>(&'a dyn Fn(&[&str]) -> std::process::ExitStatus);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let _kill = Kill(&tmux);
    let d = dir.path().display();
    // --exit-after-ms: nothing outlives a failed assertion for long.
    let line = format!(
        "cd {d}; {TILL} diag simulate printer --link pr --exit-after-ms 60000 > pr.out 2>&1 & echo $! > pr.pid; \
         {TILL} diag simulate terminal --link term --exit-after-ms 60000 > term.out 2>&1 & echo $! > term.pid; \
         {TILL} diag simulate drawer --interactive --exit-after-ms 60000 > ctl.out 2>&1 & echo $! > ctl.pid"
    );
    assert!(tmux(&["send-keys", &line, "Enter"]).success());
    let pid = |name: &str| -> Option<u32> {
        std::fs::read_to_string(dir.path().join(format!("{name}.pid")))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let out = |name: &str| {
        std::fs::read_to_string(dir.path().join(format!("{name}.out"))).unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut pr, mut term, mut ctl) = (None, None, None);
    while Instant::now() < deadline && (pr.is_none() || term.is_none() || ctl.is_none()) {
        pr = pr.or(pid("pr"));
        term = term.or(pid("term"));
        ctl = ctl.or(pid("ctl"));
        std::thread::sleep(Duration::from_millis(50));
    }
    let (pr, term, ctl) = (pr.unwrap(), term.unwrap(), ctl.unwrap());
    // Give a read of stdin the time to happen and be punished.
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline
        && !(out("pr").contains("simulated printer at")
            && out("term").contains("card terminal at")
            && proc_state(ctl) == Some('T'))
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        proc_state(ctl),
        Some('T'),
        "the control (--interactive) was not stopped"
    );
    for (name, pid) in [("printer", pr), ("terminal", term)] {
        let state = proc_state(pid);
        assert!(
            matches!(state, Some('S' | 'R')),
            "the {name} simulator is {state:?} (T: stopped by the shell for reading stdin)"
        );
    }
    assert!(out("pr").contains("simulated printer at"), "{}", out("pr"));
    assert!(out("term").contains("card terminal at"), "{}", out("term"));
    let status = till(&["diag", "printer", "status", "--path", "pr"], dir.path());
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let pay = till(
        &[
            "diag", "terminal", "pay", "1.00", "--path", "term", "--json",
        ],
        dir.path(),
    );
    assert_eq!(pay.status.code(), Some(0), "{}", text(&pay));
    for pid in [pr, term, ctl] {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

/// `simulate all`: one command, every device, and a till.toml that
/// `till diag all` passes whole; codes typed with --interactive are scanned.
#[test]
fn simulate_all_starts_every_device_and_its_till_toml_passes_diag_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut sim = simulate(
        &[
            "all",
            "--json",
            "--interactive",
            "--link",
            "sim-",
            "--write-config",
            "sim.toml",
        ],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_str(&sim.first).unwrap();
    assert_eq!(v["device"], "all");
    assert_eq!(v["printer"], "sim-printer");
    let written = std::fs::read_to_string(dir.path().join("sim.toml")).unwrap();
    assert_eq!(v["config"], written.as_str());
    // The file is what the till reads: devices, and the terminal section.
    let cfg = till_devices::config::DevicesConfig::from_toml(&written, "sim.toml").unwrap();
    assert!(cfg.printer.is_some() && cfg.drawer.is_some() && cfg.scanner.is_some());
    let terminal = till_devices::config::TerminalConfig::from_toml(&written, "sim.toml")
        .unwrap()
        .unwrap();
    terminal.settings().unwrap();

    let all = till(&["diag", "all", "--config", "sim.toml"], dir.path());
    let out = text(&all);
    assert_eq!(all.status.code(), Some(0), "{out}");
    for device in [
        "printer", "drawer", "scanner", "terminal", "scale", "display",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with("PASS") && l.contains(device)),
            "{device}:\n{out}"
        );
    }
    assert!(out.contains("drawer on pin 2"), "{out}");
    assert!(!out.contains("Pin2"), "{out}");

    let open = till(
        &["diag", "drawer", "open", "--config", "sim.toml"],
        dir.path(),
    );
    assert_eq!(open.status.code(), Some(0), "{}", text(&open));
    assert!(text(&open).contains("sensor: open"), "{}", text(&open));

    let mut listen = Command::new(TILL)
        .args([
            "diag",
            "scanner",
            "listen",
            "--config",
            "sim.toml",
            "--count",
            "1",
            "--timeout",
            "20",
            "--json",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = sim.child.stdin.as_mut().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        // Until the listener has the port open, a code may go nowhere.
        writeln!(stdin, "4006381333931").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        if let Some(s) = listen.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no scan reached scanner listen");
    };
    let mut scanned = String::new();
    std::io::Read::read_to_string(listen.stdout.as_mut().unwrap(), &mut scanned).unwrap();
    assert!(status.success(), "{scanned}");
    assert!(scanned.contains("4006381333931"), "{scanned}");
}

/// User-facing words are till.toml's and the CLI's, never Rust names.
#[test]
fn drawer_and_simulator_messages_use_the_config_spellings() {
    let dir = tempfile::tempdir().unwrap();
    let printer = simulate(&["printer"], dir.path());
    let pty = printer
        .first
        .trim()
        .strip_prefix("simulated printer at ")
        .unwrap()
        .to_string();

    let wrong = till(
        &["diag", "drawer", "open", "--path", &pty, "--pin", "5"],
        dir.path(),
    );
    let out = text(&wrong);
    assert_eq!(wrong.status.code(), Some(1), "{out}");
    assert!(out.contains("pulse was sent on pin 5"), "{out}");
    assert!(out.contains("try the other pin (--pin 2)"), "{out}");
    let right = till(&["diag", "drawer", "open", "--path", &pty], dir.path());
    assert_eq!(right.status.code(), Some(0), "{}", text(&right));
    let status = till(&["diag", "drawer", "status", "--path", &pty], dir.path());
    let out = text(&status);
    assert!(out.contains("sensor_open_level = \"high\""), "{out}");

    let drawer = till(
        &["diag", "simulate", "drawer", "--exit-after-ms", "300"],
        dir.path(),
    );
    let out = text(&drawer);
    assert!(
        out.contains("[devices.drawer] via = \"serial\", path = \"/dev/pts/"),
        "{out}"
    );
    assert!(!out.contains("transport ="), "{out}");

    let help = till(&["diag", "scanner", "listen", "--help"], dir.path());
    let out = text(&help);
    assert!(
        out.contains("--address") && !out.contains("printer address"),
        "{out}"
    );

    let cut = till(
        &["diag", "printer", "render", "--json", "/dev/null"],
        dir.path(),
    );
    assert_eq!(cut.status.code(), Some(0), "{}", text(&cut));

    for o in [&wrong, &right, &status, &drawer, &help] {
        for rust in ["Pin2", "Pin5", "High", "Low", "FeedPartial"] {
            assert!(!text(o).contains(rust), "{rust} in:\n{}", text(o));
        }
    }
}

/// `--link`: a name for the pseudo-terminal, never at the cost of a file.
#[test]
fn link_names_the_pty_and_never_replaces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("precious"), "keep me").unwrap();
    let refused = till(
        &[
            "diag",
            "simulate",
            "printer",
            "--link",
            "precious",
            "--exit-after-ms",
            "300",
        ],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("not a link"), "{}", text(&refused));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("precious")).unwrap(),
        "keep me"
    );
    let tcp = till(
        &[
            "diag",
            "simulate",
            "printer",
            "--tcp",
            "--link",
            "x",
            "--exit-after-ms",
            "300",
        ],
        dir.path(),
    );
    assert_eq!(tcp.status.code(), Some(2), "{}", text(&tcp));
    // A stale link (a simulator killed by Ctrl-C) is replaced, and removed
    // when the simulator ends normally.
    std::os::unix::fs::symlink("/dev/pts/nonexistent", dir.path().join("pr")).unwrap();
    let sim = simulate(&["printer", "--link", "pr"], dir.path());
    let target = std::fs::read_link(dir.path().join("pr")).unwrap();
    assert!(
        sim.first.contains(&target.display().to_string()),
        "{}",
        sim.first
    );
    let ok = till(
        &[
            "diag",
            "simulate",
            "scanner",
            "--link",
            "sc",
            "--exit-after-ms",
            "200",
        ],
        dir.path(),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(std::fs::symlink_metadata(dir.path().join("sc")).is_err());
}

/// `printer render /dev/zero` used to read until memory ran out (7.6 GB in
/// 6 s): it reads at most --max-bytes (16 MiB by default) and says so.
#[test]
fn render_reads_a_bounded_amount_and_says_why_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let mut child = Command::new(TILL)
        .args(["diag", "printer", "render", "/dev/zero"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = start + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("render /dev/zero still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains("/dev/zero is larger than 16777216 bytes"),
        "{msg}"
    );
    assert!(msg.contains("--max-bytes"), "{msg}");

    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../hw-fixtures/receipts/french-receipt.hex"
    );
    let small = till(
        &["diag", "printer", "render", "--max-bytes", "100", fixture],
        dir.path(),
    );
    assert_eq!(small.status.code(), Some(2), "{}", text(&small));
    let whole = till(&["diag", "printer", "render", fixture], dir.path());
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole));
    assert!(text(&whole).contains("partial cut"), "{}", text(&whole));
}

/// The till.toml `simulate all` writes is one the counter app runs on:
/// printer, drawer and scanner come up ready in its status line.
#[test]
fn the_counter_app_runs_on_simulate_all_s_till_toml() {
    if !have_tmux() {
        eprintln!("skipped: tmux not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _sim = simulate(&["all", "--write-config", "sim.toml"], dir.path());
    let socket = format!("comptoir-diag-run-{}", std::process::id());
    let cmd = format!(
        "{TILL} run --demo --config {0}/sim.toml --data {0}/data",
        dir.path().display()
    );
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(tmux(&["new-session", "-d", "-x", "100", "-y", "30", &cmd])
        .status
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut screen = String::new();
    while Instant::now() < deadline {
        screen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
        if screen.contains("Imprimante : prête") && screen.contains("Scanner : prêt") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux(&["kill-server"]);
    assert!(
        screen.contains("Imprimante : prête")
            && screen.contains("Tiroir : fermé")
            && screen.contains("Scanner : prêt"),
        "{screen}"
    );
}

/// Numbers on the diag command line are bounded too: a watch of 1e300 s
/// cannot be added to any clock (both panicked; /dev/null as a USB node
/// opens, so the numbers are reached).
#[test]
fn diag_command_line_numbers_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // The device is the same in every case: a USB node that opens.
    let device = ["--path", "/dev/null", "--transport", "usb"];
    for bad in [
        "drawer status --watch 1e300",
        "drawer status --watch=-1",
        "drawer status --watch NaN",
        "scanner listen --timeout 0",
        "scanner listen --timeout 18446744073709551615",
    ] {
        let args: Vec<&str> = ["diag"]
            .into_iter()
            .chain(bad.split(' '))
            .chain(device)
            .collect();
        let o = till(&args, dir.path());
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
        assert!(!out.contains("panicked"), "{args:?}: {out}");
        assert!(
            out.contains("604800") || out.contains("86400"),
            "{args:?}: {out}"
        );
    }
}

/// `till diag scale` and `till diag display` against their simulators in
/// another process, through ptys named with --link.
#[test]
fn scale_and_display_diagnostics_through_their_simulators() {
    let dir = tempfile::tempdir().unwrap();
    let _scale = simulate(
        &[
            "scale",
            "--scale-protocol",
            "toledo-8217",
            "--weights",
            "motion,overload,underload,zero,0.455",
            "--link",
            "scale",
        ],
        dir.path(),
    );
    let read = |extra: &[&str]| {
        let mut args = vec!["diag", "scale", "read", "--path", "scale", "--json"];
        args.extend(extra);
        let o = till(&args, dir.path());
        let v: serde_json::Value = serde_json::from_str(text(&o).trim()).unwrap();
        (o.status.code(), v)
    };
    // Motion is waited out only within settle_ms (2 s): the next answer
    // is the overload, which is no weight.
    let (code, v) = read(&[]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["state"], "overload", "{v}");
    assert!(
        v["next"].as_str().unwrap().contains("take the item off"),
        "{v}"
    );
    let (code, v) = read(&[]);
    assert_eq!(
        (code, v["state"].as_str()),
        (Some(1), Some("underload")),
        "{v}"
    );
    let (code, v) = read(&[]);
    assert_eq!((code, v["state"].as_str()), (Some(1), Some("zero")), "{v}");
    let (code, v) = read(&["--tare", "0,055"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        (v["net_kg"].as_str(), v["tare_kg"].as_str()),
        (Some("0.400"), Some("0.055"))
    );
    assert!(v["total"].is_null(), "an 8217 scale gives no price: {v}");
    let zero = till(&["diag", "scale", "zero", "--path", "scale"], dir.path());
    assert_eq!(zero.status.code(), Some(1), "{}", text(&zero));
    assert!(
        text(&zero).contains("now reads stable 0.455 kg"),
        "{}",
        text(&zero)
    );

    let _dialog = simulate(
        &[
            "scale",
            "--scale-protocol",
            "dialog06",
            "--weights",
            "1.005",
            "--link",
            "d06",
        ],
        dir.path(),
    );
    let o = till(
        &[
            "diag",
            "scale",
            "read",
            "--protocol",
            "dialog06",
            "--path",
            "d06",
            "--price",
            "3.99",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // 1.005 kg x 3.99 = 4.00995: the scale's total, as it sent it.
    assert!(
        text(&o).contains("total 4.01 EUR (computed by the scale)"),
        "{}",
        text(&o)
    );

    let display = simulate(&["display", "--json", "--link", "vfd"], dir.path());
    let v: serde_json::Value = serde_json::from_str(&display.first).unwrap();
    assert_eq!(
        (v["device"].as_str(), v["charset"].as_str()),
        (Some("display"), Some("pc858"))
    );
    let o = till(
        &[
            "diag",
            "display",
            "show",
            "Crème brûlée",
            "--lower",
            "4,50 €",
            "--path",
            "vfd",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_str(text(&o).trim()).unwrap();
    assert_eq!(v["screens"][0][0], "Crème brûlée        ");
    assert_eq!(v["screens"][0][1], "4,50 €              ");
    let o = till(&["diag", "display", "clear", "--path", "vfd"], dir.path());
    assert!(text(&o).contains("cleared"), "{}", text(&o));
    let bad = till(
        &[
            "diag",
            "display",
            "show",
            "x",
            "--path",
            "vfd",
            "--charset",
            "utf8",
        ],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("pc858"), "{}", text(&bad));
}

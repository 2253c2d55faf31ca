//! The configuration files: till.toml (the till's own section, devices,
//! card terminal), sync.toml and headoffice.toml, each read through the
//! loader the program calls (from a file, as in production) and then used
//! the way the program uses it (durations, layouts, framings, settings).

use std::cell::RefCell;
use std::path::PathBuf;

use super::Sig;
use crate::Target;

thread_local! {
    static DIR: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

/// Writes `input` to this thread's scratch file `name` and returns its path.
fn scratch(name: &str, input: &[u8]) -> PathBuf {
    DIR.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            // In memory where Linux offers it: a disk-backed /tmp made
            // these targets a hundred times slower than the parsing.
            let shm = std::path::Path::new("/dev/shm");
            let dir = if shm.is_dir() {
                tempfile::tempdir_in(shm)
            } else {
                tempfile::tempdir()
            };
            *d = Some(dir.expect("a scratch folder"));
        }
        let p = d.as_ref().expect("scratch folder").path().join(name);
        std::fs::write(&p, input).expect("write the scratch config");
        p
    })
}

fn example(name: &str) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = std::fs::read(crate::repo_dir().join("config").join(name))
        .into_iter()
        .collect();
    v.extend(crate::seed_files(name));
    v
}

const TOML_DICT: &[&[u8]] = &[
    b"\n[devices.printer]\n",
    b"\n[devices.drawer]\n",
    b"\n[devices.scanner]\n",
    b"\n[devices.terminal]\n",
    b"\n[till]\n",
    b"\n[till.shop]\n",
    b"transport = \"tcp\"\n",
    b"transport = \"evdev\"\n",
    b"address = \"127.0.0.1:9100\"\n",
    b"protocol = \"caisse-ap\"\n",
    b"protocol = \"concert\"\n",
    b"width = 0\n",
    b"width = 18446744073709551615\n",
    b"timeout_ms = 18446744073709551615\n",
    b"max_len = 0\n",
    b"prefix = [2, 256]\n",
    b"pos_number = 100\n",
    b"baud = 0\n",
    b"on_ms = 65535\n",
    b"= 1e300\n",
    b"= -1\n",
    b"= nan\n",
    b"= inf\n",
    b"= 0.0\n",
    b"request_timeout_seconds = 1e300\n",
    b"backoff_base_seconds = -inf\n",
    b"batch_events = 0\n",
    b"max_body_bytes = 0\n",
    b"\"\"\"",
    b"'''",
    b"[[",
    b"]]",
    b"{ }",
];

pub const CONFIG_TILL: Target = Target {
    name: "config-till",
    about: "till.toml: [till], [devices.*] and [devices.terminal], then every derived setting",
    max_len: 16 * 1024,
    seeds: || example("till.toml"),
    dict: TOML_DICT,
    run: config_till,
};

fn config_till(input: &[u8]) -> u64 {
    let mut sig = Sig::default();
    let path = scratch("till.toml", input);
    match till::app::load_till_config(&path) {
        Ok(c) => {
            sig.add(1).add(c.shop.is_some() as u64);
        }
        Err(e) => {
            sig.err(&e);
        }
    }
    let p = path.to_string_lossy();
    match till_devices::config::DevicesConfig::load(&p) {
        Ok(c) => {
            sig.add(2);
            if let Some(pr) = &c.printer {
                let layout = pr.layout();
                sig.add(pr.timeout().as_millis().min(2) as u64);
                // The paper the till prints, at the configured width (sane
                // widths only: allocation at absurd ones is the config
                // check's job, not a parser's).
                if layout.width <= 1024 {
                    let r = till_devices::escpos::core_receipt::render_receipt(
                        &till_devices::escpos::core_receipt::french_example(),
                        layout,
                    );
                    sig.add(r.is_ok() as u64);
                }
            }
            if let Some(d) = &c.drawer {
                let pulse = d.pulse();
                sig.add(pulse.on_ms.min(2) as u64)
                    .add(d.serial_link().is_some() as u64);
            }
            if let Some(s) = &c.scanner {
                let f = s.framing();
                sig.add(f.max_len.min(2) as u64);
            }
        }
        Err(e) => {
            sig.err(&e);
        }
    }
    match till_devices::config::TerminalConfig::load(&p) {
        Ok(Some(t)) => match t.settings() {
            Ok(s) => {
                sig.add(3).add(s.step_timeout.as_millis().min(2) as u64);
            }
            Err(e) => {
                sig.err(&e);
            }
        },
        Ok(None) => {}
        Err(e) => {
            sig.err(&e);
        }
    }
    sig.get()
}

pub const CONFIG_SYNC: Target = Target {
    name: "config-sync",
    about: "sync.toml: till_sync::config::Config::load, then every duration and path it yields",
    max_len: 16 * 1024,
    seeds: || example("sync.toml"),
    dict: TOML_DICT,
    run: config_sync,
};

fn config_sync(input: &[u8]) -> u64 {
    let mut sig = Sig::default();
    let path = scratch("sync.toml", input);
    match till_sync::config::Config::load(&path) {
        Ok(c) => {
            let durations = [
                c.poll(),
                c.backoff_base(),
                c.backoff_cap(),
                c.catalog_every(),
                c.request_timeout(),
            ];
            // What the daemon does with them: deadlines and backoff delays.
            let now = std::time::Instant::now();
            for d in durations {
                let _deadline = now + d;
            }
            let mut b = till_sync::backoff::Backoff::new(c.backoff_base(), c.backoff_cap());
            for _ in 0..32 {
                let _deadline = now + b.ceiling();
                b.next_delay();
            }
            sig.add(1)
                .add(durations.iter().filter(|d| d.is_zero()).count() as u64)
                .add(c.key_path().as_os_str().len().min(2) as u64)
                .add(c.state_path().as_os_str().len().min(2) as u64)
                .add(c.catalog_path().as_os_str().len().min(2) as u64)
                .add(c.token().is_ok() as u64);
        }
        Err(e) => {
            sig.err(&e);
        }
    }
    sig.get()
}

pub const CONFIG_HEADOFFICE: Target = Target {
    name: "config-headoffice",
    about: "headoffice.toml: headoffice::config::Config::load",
    max_len: 16 * 1024,
    seeds: || example("headoffice.toml"),
    dict: TOML_DICT,
    run: config_headoffice,
};

fn config_headoffice(input: &[u8]) -> u64 {
    let mut sig = Sig::default();
    let path = scratch("headoffice.toml", input);
    match headoffice::config::Config::load(&path) {
        Ok(c) => {
            sig.add(1)
                .add(c.listen.is_some() as u64)
                .add(c.db.is_some() as u64)
                .add(c.max_body_bytes.map_or(2, |b| b.min(1) as u64));
        }
        Err(e) => {
            sig.err(&e);
        }
    }
    sig.get()
}

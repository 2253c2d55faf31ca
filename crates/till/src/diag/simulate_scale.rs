//! `till diag simulate scale|display`: a counter scale playing a script of
//! weights and states, and a customer display that prints what the
//! customer would read. Both on a pseudo-terminal.

use std::sync::mpsc::Receiver;
use std::time::Duration;

use serde_json::json;
use till_devices::display::{Charset, DisplayProtocol};
use till_devices::scale::ScaleProtocol;
use till_devices::sim::{DisplaySim, ScaleScript, ScaleSim};

use super::common::print_json;
use super::simulate::{typed, PtyLink, SimulateArgs};

/// The scale's protocol and script from the arguments.
pub(super) fn scale_args(a: &SimulateArgs) -> anyhow::Result<(ScaleProtocol, ScaleScript)> {
    let protocol: ScaleProtocol = a.scale_protocol.parse().map_err(anyhow::Error::msg)?;
    let script: ScaleScript = a.weights.parse().map_err(anyhow::Error::msg)?;
    Ok((protocol, script))
}

/// The display's command set and table from the arguments.
pub(super) fn display_args(a: &SimulateArgs) -> anyhow::Result<(DisplayProtocol, Charset)> {
    let protocol: DisplayProtocol = a.display_protocol.parse().map_err(anyhow::Error::msg)?;
    let charset = match &a.charset {
        Some(c) => c.parse().map_err(anyhow::Error::msg)?,
        None => protocol.default_charset(),
    };
    Ok((protocol, charset))
}

/// The screen as a box of 2 x 20, as the customer reads it.
pub(super) fn boxed(lines: &[String; 2], prefix: &str) -> String {
    format!(
        "{prefix}+--------------------+\n{prefix}|{}|\n{prefix}|{}|\n{prefix}+--------------------+",
        lines[0], lines[1]
    )
}

/// Prints each new screen of a display simulator.
pub(super) struct DisplayView {
    shown: usize,
    prefix: &'static str,
}

impl DisplayView {
    pub(super) fn new(prefix: &'static str) -> Self {
        Self { shown: 0, prefix }
    }

    pub(super) fn poll(&mut self, sim: &DisplaySim, json: bool) {
        let history = sim.control.history();
        for screen in history.iter().skip(self.shown) {
            if json {
                print_json(&json!({ "display": screen }));
            } else {
                println!("{}", boxed(screen, self.prefix));
            }
        }
        self.shown = history.len();
    }
}

pub(super) fn run_scale(
    a: &SimulateArgs,
    running: impl Fn() -> bool,
    input: &Option<Receiver<String>>,
) -> anyhow::Result<i32> {
    if a.tcp {
        anyhow::bail!(
            "the scale simulator listens on a pseudo-terminal only: start it without --tcp"
        );
    }
    let (protocol, script) = scale_args(a)?;
    let sim = ScaleSim::spawn(protocol, script)?;
    let address = sim.endpoint.address.clone();
    let _link = match &a.link {
        Some(l) => Some(PtyLink::make(l, &address)?),
        None => None,
    };
    let shown_at = a.link.clone().unwrap_or_else(|| address.clone());
    if a.json {
        print_json(&json!({
            "device": "scale", "address": shown_at, "protocol": protocol.name(),
            "transport": "serial", "weights": a.weights,
        }));
    } else {
        println!("simulated {protocol} scale at {shown_at}");
        println!(
            "point till.toml at it: [devices.scale] protocol = \"{protocol}\", path = \"{shown_at}\""
        );
        println!("or: till diag scale read --protocol {protocol} --path {shown_at}");
        let stdin = if a.interactive {
            "stdin"
        } else {
            "with --interactive, stdin"
        };
        println!(
            "weights: {} (a weight in kg, motion, underload, overload, zero, not-removed, silent, garbled, drop; {stdin}: a new list)",
            a.weights
        );
        println!("Ctrl-C to stop");
    }
    let mut seen = (0, 0);
    while running() {
        while let Some(line) = typed(input) {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            match line.parse::<ScaleScript>() {
                Ok(s) => sim.control.set_script(s),
                Err(e) => eprintln!("{e}"),
            }
        }
        let now = (sim.control.requests(), sim.control.zeroed());
        if now != seen {
            if a.json {
                print_json(&json!({ "weighings": now.0, "zeroed": now.1 }));
            } else if now.0 != seen.0 {
                println!("* weighing request {}", now.0);
            } else {
                println!("* zero command {}", now.1);
            }
            seen = now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(0)
}

pub(super) fn run_display(a: &SimulateArgs, running: impl Fn() -> bool) -> anyhow::Result<i32> {
    if a.tcp {
        anyhow::bail!(
            "the display simulator listens on a pseudo-terminal only: start it without --tcp"
        );
    }
    let (protocol, charset) = display_args(a)?;
    let sim = DisplaySim::spawn(charset)?;
    let address = sim.endpoint.address.clone();
    let _link = match &a.link {
        Some(l) => Some(PtyLink::make(l, &address)?),
        None => None,
    };
    let shown_at = a.link.clone().unwrap_or_else(|| address.clone());
    if a.json {
        print_json(&json!({
            "device": "display", "address": shown_at, "protocol": protocol.name(),
            "charset": charset.name(), "transport": "serial",
        }));
    } else {
        println!(
            "simulated {protocol} customer display ({}) at {shown_at}",
            charset.name()
        );
        println!(
            "point till.toml at it: [devices.display] protocol = \"{protocol}\", path = \"{shown_at}\", charset = \"{}\"",
            charset.name()
        );
        println!("or: till diag display test --protocol {protocol} --path {shown_at}");
        println!("each screen is printed as the customer would read it; Ctrl-C to stop");
    }
    let mut view = DisplayView::new("");
    while running() {
        view.poll(&sim, a.json);
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(0)
}

//! `till diag ports`

use serde_json::json;
use till_devices::ports::{self, NodeKind};

pub fn run(json: bool) -> anyhow::Result<i32> {
    let found = ports::scan();
    if json {
        super::common::print_json(&json!({ "ports": found }));
        return Ok(0);
    }
    if found.is_empty() {
        println!("no serial port, USB printer or USB input device found");
        println!("next: check cables and power; `dmesg | tail` right after plugging a device in shows what the kernel saw");
        return Ok(0);
    }
    println!(
        "{:<22} {:<12} {:<10} {:<16} MAKER / PRODUCT",
        "PATH", "NODE", "VID:PID", "LIKELY"
    );
    for p in &found {
        let node = match p.node {
            NodeKind::Serial => "serial",
            NodeKind::UsbPrinter => "usb-printer",
            NodeKind::Input => "input",
        };
        let who = [p.manufacturer.as_deref(), p.product.as_deref()]
            .iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" / ");
        println!(
            "{:<22} {:<12} {:<10} {:<16} {}",
            p.path,
            node,
            p.vid_pid(),
            p.guess.to_string(),
            who
        );
    }
    Ok(0)
}

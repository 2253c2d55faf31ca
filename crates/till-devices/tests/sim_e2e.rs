//! End to end over pseudo-terminals and TCP: drivers talking to simulators
//! with the real bytes.

use std::time::Duration;

use till_devices::drawer::{self, Pulse, SensorLevel, SerialDrawer};
use till_devices::escpos::{cmd, DrawerPin, Event, Printer};
use till_devices::scanner::{Code, FrameConfig, ScanError, SerialScanner, Suffix};
use till_devices::sim::{DrawerSim, PrinterSim, ScannerSim, SimKind};
use till_devices::transport::{SerialTransport, TcpTransport};
use till_devices::DeviceError;

/// Generous: only failure paths wait this long, and CI machines are loaded.
const T: Duration = Duration::from_secs(2);

fn pty_printer() -> (PrinterSim, Printer<SerialTransport>) {
    let mut sim = PrinterSim::spawn(SimKind::Pty, 32).unwrap();
    let host = sim.endpoint.take_host().unwrap();
    (sim, Printer::new(host, T))
}

#[test]
fn text_reaches_the_paper() {
    let (sim, mut p) = pty_printer();
    let mut b = cmd::INIT.to_vec();
    b.extend(cmd::code_page(cmd::CODE_PAGE_PC858));
    b.extend(cmd::align(cmd::Align::Center));
    b.extend(till_devices::escpos::pc858::encode("Crème brûlée 4,50 €\n"));
    b.extend(cmd::cut(cmd::Cut::FeedPartial(3)));
    p.send(&b).unwrap();
    assert!(sim.wait_for(T, |s| s
        .paper
        .events
        .iter()
        .any(|e| matches!(e, Event::Cut(_)))));
    let text = sim.text();
    assert!(text.contains("  Crème brûlée 4,50 €"), "{text}");
    assert_eq!(sim.state().raw, b);
}

#[test]
fn status_reports_paper_out_and_cover_open() {
    let (sim, mut p) = pty_printer();
    let s = p.full_status().unwrap();
    assert!(s.ready(), "{s:?}");
    sim.state().paper_out = true;
    let s = p.full_status().unwrap();
    assert!(s.paper.end && s.offline.paper_end_stop && s.printer.offline);
    assert_eq!(
        s.problems(),
        vec!["printer is out of paper: load a new roll"]
    );
    {
        let mut st = sim.state();
        st.paper_out = false;
        st.cover_open = true;
    }
    let s = p.full_status().unwrap();
    assert!(s.offline.cover_open && !s.paper.end);
    assert_eq!(s.problems(), vec!["printer cover is open: close it"]);
}

#[test]
fn auto_status_back_is_not_taken_for_a_reply() {
    let (sim, mut p) = pty_printer();
    // GS a is print-buffer data: enable it while online, then open the cover.
    p.set_auto_status(true).unwrap();
    assert!(sim.wait_for(T, |s| !s.raw.is_empty()));
    sim.state().cover_open = true;
    // Unsolicited blocks and replies interleave however the threads run;
    // every reply must still decode right, and the ASB must be seen.
    let start = std::time::Instant::now();
    loop {
        let c = p.offline_cause().unwrap();
        assert!(c.cover_open);
        if p.last_auto_status.is_some_and(|a| a.cover_open) {
            break;
        }
        assert!(start.elapsed() < T, "no ASB block seen");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn silent_printer_times_out_and_garbage_is_typed() {
    let mut sim = PrinterSim::spawn(SimKind::Pty, 32).unwrap();
    let host = sim.endpoint.take_host().unwrap();
    let mut p = Printer::new(host, Duration::from_millis(200)).with_retries(1);
    sim.state().mute = true;
    let start = std::time::Instant::now();
    assert!(matches!(
        p.printer_status(),
        Err(DeviceError::Timeout { .. })
    ));
    // Two attempts of 200 ms, and not much more.
    assert!(start.elapsed() >= Duration::from_millis(400));
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    {
        let mut st = sim.state();
        st.mute = false;
        st.garbage_reply = Some(0xFF);
    }
    assert!(matches!(
        p.printer_status(),
        Err(DeviceError::Garbage { .. })
    ));
}

#[test]
fn drawer_kick_reaches_the_drawer_and_its_sensor() {
    let (sim, mut p) = pty_printer();
    assert!(!drawer::sensor_via_printer(&mut p, SensorLevel::High).unwrap());
    let realtime = drawer::kick_via_printer(&mut p, Pulse::default()).unwrap();
    assert!(!realtime);
    assert!(sim.wait_for(T, |s| s.drawer_open));
    assert_eq!(
        sim.state().kicks,
        vec![Event::Kick {
            pin: DrawerPin::Pin2,
            on_ms: 100,
            off_ms: 200
        }]
    );
    assert!(drawer::sensor_via_printer(&mut p, SensorLevel::High).unwrap());
    sim.state().drawer_open = false; // the cashier closes it
    assert!(!drawer::sensor_via_printer(&mut p, SensorLevel::High).unwrap());
}

#[test]
fn wrong_pin_does_not_open_and_offline_needs_realtime_pulse() {
    let (sim, mut p) = pty_printer();
    p.kick(DrawerPin::Pin5, 100, 200).unwrap();
    assert!(sim.wait_for(T, |s| s.kicks.len() == 1));
    assert!(!sim.state().drawer_open);
    // Cover open: ESC p waits in the buffer, the real-time pulse fires.
    sim.state().cover_open = true;
    let used_realtime = drawer::kick_via_printer(&mut p, Pulse::default()).unwrap();
    assert!(used_realtime);
    assert!(sim.wait_for(T, |s| s.drawer_open));
    // Held print data comes out once the cover is shut.
    sim.state().drawer_open = false;
    p.send(b"held\n").unwrap();
    std::thread::sleep(Duration::from_millis(30));
    assert!(!sim.text().contains("held"));
    sim.state().cover_open = false;
    assert!(sim.wait_for(T, |s| s.paper.text().contains("held")));
}

#[test]
fn printer_over_tcp() {
    let sim = PrinterSim::spawn(SimKind::Tcp, 32).unwrap();
    let link = TcpTransport::connect(&sim.endpoint.address, T).unwrap();
    let mut p = Printer::new(link, T);
    p.send(b"over tcp\n").unwrap();
    assert!(p.full_status().unwrap().ready());
    assert!(sim.wait_for(T, |s| s.paper.text().contains("over tcp")));
}

#[test]
fn printer_path_can_be_opened_like_a_serial_port() {
    let sim = PrinterSim::spawn(SimKind::Pty, 32).unwrap();
    let link = SerialTransport::open(&sim.endpoint.address, 9600, T).unwrap();
    let mut p = Printer::new(link, T);
    assert!(p.printer_status().is_ok());
}

#[test]
fn serial_drawer_opens_on_its_byte() {
    let mut sim = DrawerSim::spawn(SimKind::Pty, 0x07, b'?').unwrap();
    let mut d = SerialDrawer::new(sim.endpoint.take_host().unwrap(), 0x07);
    assert!(!d.sensor(b'?', T).unwrap());
    d.open().unwrap();
    assert!(d.sensor(b'?', T).unwrap());
    assert!(sim.is_open());
    sim.close();
    assert!(!d.sensor(b'?', T).unwrap());
    assert_eq!(sim.times_opened(), 1);
}

#[test]
fn scans_arrive_validated() {
    let mut sim = ScannerSim::spawn(SimKind::Pty, vec![], Suffix::CrLf).unwrap();
    let mut r = SerialScanner::new(sim.endpoint.take_host().unwrap(), FrameConfig::default());
    sim.scan(Some("]E0"), "3017620422003");
    let s = r.next_scan(T).unwrap();
    assert!(matches!(s.code, Code::Retail(ref b) if b.digits == "3017620422003"));
    assert_eq!(s.raw, b"]E03017620422003\r");
    sim.scan(None, "3017620422004"); // bad check digit
    assert!(matches!(r.next_scan(T), Err(ScanError::Invalid { .. })));
    sim.send_raw(b"\x00\xFF\x80\r");
    assert!(matches!(r.next_scan(T), Err(ScanError::Garbled { .. })));
    sim.scan(Some("]C1"), "0103012345678902\u{1D}10LOT7");
    let s = r.next_scan(T).unwrap();
    assert!(matches!(s.code, Code::Gs1(ref g) if g.batch.as_deref() == Some("LOT7")));
    sim.send_raw(b"40063"); // half a scan, then silence
    assert!(matches!(r.next_scan(T), Err(ScanError::Partial { .. })));
    sim.scan(None, "96385074");
    assert_eq!(r.next_scan(T).unwrap().code.symbology(), "ean8");
}

#[test]
fn pulled_cable_is_disconnected_not_a_hang() {
    let (mut sim, mut p) = pty_printer();
    sim.endpoint.stop();
    drop(sim);
    let start = std::time::Instant::now();
    let e = p.printer_status().unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert!(start.elapsed() < T * 3);
}

#[test]
fn domain_receipt_prints_on_the_simulated_printer_as_previewed() {
    use till_core::receipt::render_text;
    use till_devices::escpos::core_receipt::{render_receipt, sample_receipt};
    use till_devices::escpos::receipt::Layout;

    let mut sim = PrinterSim::spawn(SimKind::Pty, 48).unwrap();
    let mut p = Printer::new(sim.endpoint.take_host().unwrap(), T);
    let mut r = sample_receipt(40);
    r.duplicate = Some(1);
    let bytes = render_receipt(&r, Layout::default()).unwrap();
    p.send(&bytes).unwrap();
    assert!(sim.wait_for(Duration::from_secs(2), |s| s
        .paper
        .events
        .iter()
        .any(|e| matches!(e, Event::Cut(_)))));
    let paper = sim.state().paper.lines.clone();
    assert_eq!(sim.state().raw, bytes, "every byte arrived, in order");
    // Every line of the plain-text preview is on the paper, except the ones
    // printed double size (shop name, total), which the paper spaces out.
    // Characters PC858 lacks (oe) are substituted, which can shift a column
    // by one: lines compare exactly, or else with spacing collapsed.
    let preview = render_text(&r, 48);
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let on_paper = |line: &str| {
        let printed: String = till_devices::escpos::pc858::encode(line)
            .into_iter()
            .map(till_devices::escpos::pc858::decode_byte)
            .collect();
        paper
            .iter()
            .any(|l| l == line || squash(l) == squash(&printed))
    };
    for line in preview.lines() {
        if line.contains(&r.shop_name) || line.starts_with("TOTAL") {
            continue;
        }
        assert!(on_paper(line), "missing {line:?} in\n{}", paper.join("\n"));
    }
    assert!(paper.iter().any(|l| l.contains("T O T A L   T T C")));
    assert!(paper.iter().any(|l| l == "[QR T01-000042|9f3a-77c1]"));
}

#[test]
fn receipt_is_held_back_when_the_printer_cannot_print() {
    use till_devices::escpos::NotPrinted;
    let (sim, mut p) = pty_printer();
    sim.state().paper_out = true;
    let e = p.print_receipt(b"TICKET 42\n").unwrap_err();
    assert!(matches!(e, NotPrinted::NotReady(_)) && !e.partly_printed());
    assert_eq!(
        e.to_string(),
        "receipt not printed: printer is out of paper: load a new roll"
    );
    sim.state().paper_out = false;
    p.print_receipt(b"TICKET 42\n").unwrap();
    assert!(sim.wait_for(T, |s| s.paper.text().contains("TICKET 42")));
    assert_eq!(sim.text().matches("TICKET 42").count(), 1);
}

/// The paper ends on line 5 of a 40-line receipt. DLE EOT asked right after
/// sending would still say "ready" (the receipt is in the printer's buffer);
/// the driver waits for the GS ( H answer, sees the printer stop instead and
/// reports the receipt interrupted, so the till reprints it as DUPLICATA.
#[test]
fn paper_running_out_mid_receipt_is_reported_interrupted() {
    use till_devices::escpos::NotPrinted;
    let (sim, mut p) = pty_printer();
    sim.state().paper_lines_left = Some(5);
    let receipt: String = (1..=40).map(|i| format!("LIGNE {i:02}\n")).collect();
    let e = p.print_receipt(receipt.as_bytes()).unwrap_err();
    assert!(matches!(e, NotPrinted::Interrupted(_)), "{e}");
    assert!(e.partly_printed());
    assert!(e.to_string().contains("out of paper"), "{e}");
    let text = sim.text();
    assert!(
        text.contains("LIGNE 05") && !text.contains("LIGNE 06"),
        "{text}"
    );

    // New roll: the printer prints what it kept, and a full receipt on a
    // healthy printer is confirmed by its GS ( H answer.
    {
        let mut st = sim.state();
        st.paper_out = false;
        st.paper_lines_left = None;
    }
    assert!(sim.wait_for(T, |s| s.paper.text().contains("LIGNE 40")));
    p.print_receipt(b"TICKET 43\n").unwrap();
    assert!(sim.text().contains("TICKET 43"));
}

/// A printer that ignores GS ( H: the real-time status decides after the
/// bounded wait, and later receipts only wait the short poll window.
#[test]
fn printer_without_process_id_support_still_prints() {
    let mut sim = PrinterSim::spawn(SimKind::Pty, 32).unwrap();
    let host = sim.endpoint.take_host().unwrap();
    let mut p = Printer::new(host, T).with_print_wait(Duration::from_millis(300));
    sim.state().ignore_process_id = true;
    p.print_receipt(b"TICKET 44\n").unwrap();
    assert!(sim.text().contains("TICKET 44"));
}

#[test]
fn keyboard_wedge_scans_arrive_validated() {
    use till_devices::scanner::WedgeScanner;
    let mut sim = ScannerSim::spawn(SimKind::Pty, vec![], Suffix::Cr).unwrap();
    let mut r = WedgeScanner::new(sim.endpoint.take_host().unwrap(), 64);
    sim.scan_keys("3017620422003");
    let s = r.next_scan(T).unwrap();
    assert!(matches!(s.code, Code::Retail(ref b) if b.digits == "3017620422003"));
    sim.scan_keys("3017620422009");
    assert!(matches!(r.next_scan(T), Err(ScanError::Invalid { .. })));
    sim.scan_keys("96385074");
    assert_eq!(r.next_scan(T).unwrap().code.symbology(), "ean8");
}

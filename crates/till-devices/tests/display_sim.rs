//! The customer display driver against the display simulator over a
//! pseudo-terminal: what the customer would read, for both command sets.

use std::time::{Duration, Instant};

use till_devices::display::{layout, Charset, Display, DisplayProtocol};
use till_devices::sim::DisplaySim;

fn wait_for(sim: &DisplaySim, want: [&str; 2]) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let now = sim.control.lines();
        if now == [want[0].to_string(), want[1].to_string()] {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the display shows {now:?}, not {want:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn epson_display_shows_french_text_and_the_euro_through_pc858() {
    let mut sim = DisplaySim::spawn(Charset::Pc858).unwrap();
    let host = sim.endpoint.take_host().unwrap();
    let mut d = Display::new(host, DisplayProtocol::Epson, Charset::Pc858, Some(19));
    d.show("Bienvenue", "").unwrap();
    wait_for(&sim, ["Bienvenue           ", "                    "]);
    assert_eq!(sim.control.code_page(), Some(19), "ESC t 19 selects PC858");
    let a = layout(Charset::Pc858, "Pâté de campagne", "3,20 €");
    let b = layout(Charset::Pc858, "Total", "15,60 €");
    d.show_lines(&a, &b).unwrap();
    wait_for(&sim, ["Pâté de campa 3,20 €", "Total        15,60 €"]);
    d.clear().unwrap();
    wait_for(&sim, ["                    ", "                    "]);
    // ESC @ went out once: the display keeps its settings between screens.
    let raw = sim.control.raw();
    assert_eq!(raw.windows(2).filter(|w| *w == [0x1B, 0x40]).count(), 1);
}

#[test]
fn cd5220_display_spells_out_what_pc437_lacks() {
    let mut sim = DisplaySim::spawn(Charset::Pc437).unwrap();
    let host = sim.endpoint.take_host().unwrap();
    let mut d = Display::new(host, DisplayProtocol::Cd5220, Charset::Pc437, None);
    d.show("Merci, à bientôt", "À payer : 12,50 €").unwrap();
    wait_for(&sim, ["Merci, à bientôt    ", "A payer : 12,50 EUR "]);
    assert_eq!(sim.control.code_page(), None, "no ESC t on a CD5220");
}

//! till.toml outside `[devices.*]`: the `[till]` section, `[till.shop]` and
//! the file's top-level tables refuse a key they do not know, with a message
//! naming it and the keys accepted, as the device sections do. A typo such as
//! `terminl_id` or `[device.printer]` used to be ignored silently: the till
//! then ran as terminal T1, or without its printer.

use std::path::{Path, PathBuf};
use std::process::Command;

use till::app::load_till_config;
use till_devices::config::DevicesConfig;

fn write(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("till.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// The refusal as the till prints it (anyhow's `{:#}`), or None if accepted.
fn refusal(text: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), text);
    load_till_config(&p).err().map(|e| format!("{e:#}"))
}

#[test]
fn an_unknown_key_under_till_is_refused_naming_it_and_the_accepted_ones() {
    let e = refusal("[till]\nterminal_id = \"T7\"\nterminl_id = \"T8\"\n")
        .expect("a typo under [till] was accepted");
    assert!(e.contains("till.toml"), "the file is named: {e}");
    assert!(e.contains("unknown field `terminl_id`"), "{e}");
    for accepted in ["terminal_id", "shop_id", "data_dir", "shop"] {
        assert!(
            e.contains(&format!("`{accepted}`")),
            "{accepted} not listed: {e}"
        );
    }
    let e = refusal("[till]\ndata_directory = \"/srv\"\n").expect("accepted");
    assert!(e.contains("`data_directory`"), "{e}");
}

#[test]
fn an_unknown_key_under_till_shop_is_refused() {
    let e = refusal(
        "[till.shop]\nname = \"Épicerie\"\nadress_lines = [\"1 rue\"]\naddress_lines = []\nsiret = \"12345678900012\"\n",
    )
    .expect("a typo under [till.shop] was accepted");
    assert!(e.contains("unknown field `adress_lines`"), "{e}");
    assert!(
        e.contains("`address_lines`") && e.contains("`footer_lines`"),
        "{e}"
    );
}

#[test]
fn an_unknown_top_level_table_is_refused_by_the_till_and_by_diag() {
    let text = "[till]\nterminal_id = \"T7\"\n[device.printer]\ntransport = \"tcp\"\naddress = \"127.0.0.1:9100\"\n";
    let e = refusal(text).expect("[device.printer] was accepted");
    assert!(e.contains("unknown field `device`"), "{e}");
    assert!(e.contains("`till`") && e.contains("`devices`"), "{e}");
    let e = DevicesConfig::from_toml(text, "till.toml").expect_err("accepted");
    assert!(e.to_string().contains("unknown field `device`"), "{e}");
    // As the technician sees it: not "declares no device", exit 0.
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), text);
    let out = Command::new(env!("CARGO_BIN_EXE_till"))
        .args(["diag", "all", "--config"])
        .arg(&p)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("unknown field `device`"), "{stderr}");
}

#[test]
fn the_shipped_and_the_documented_configs_still_load() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/till.toml");
    let c = load_till_config(Path::new(example)).unwrap();
    assert_eq!(c.terminal_id, "T1");
    DevicesConfig::load(example).unwrap();
    // The section docs/counter-app.md shows.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "[till]\nterminal_id = \"T2\"\nshop_id = \"S9\"\ndata_dir = \"/var/lib/comptoir\"\n\
         [till.shop]\nname = \"Épicerie du Marché\"\naddress_lines = [\"12 rue des Halles\", \"69001 Lyon\"]\n\
         siret = \"12345678900012\"\nfooter_lines = [\"Merci de votre visite\"]\n\
         [devices.drawer]\nvia = \"printer\"\n",
    );
    let c = load_till_config(&p).unwrap();
    assert_eq!((c.terminal_id.as_str(), c.shop_id.as_str()), ("T2", "S9"));
    assert_eq!(c.shop.unwrap().footer_lines, ["Merci de votre visite"]);
    assert!(DevicesConfig::load(&p.to_string_lossy())
        .unwrap()
        .drawer
        .is_some());
}

#[test]
fn the_language_and_the_shop_identity_are_checked() {
    let e = refusal("[till]\nlang = \"de\"\n").expect("lang de accepted");
    assert!(e.contains("lang") && e.contains("\"fr\""), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "[till]\nlang = \"en\"\n");
    assert_eq!(
        load_till_config(&p).unwrap().lang(),
        comptoir_i18n::Lang::En
    );
    let shop = |siret: &str, vat: &str| {
        format!(
            "[till.shop]\nname = \"É\"\naddress_lines = []\nsiret = \"{siret}\"\nvat_number = \"{vat}\"\n"
        )
    };
    assert_eq!(refusal(&shop("12345678900012", "FR32123456789")), None);
    let e = refusal(&shop("1234567890001", "FR32123456789")).expect("13 digits");
    assert!(e.contains("siret") && e.contains("14 digits"), "{e}");
    let e = refusal(&shop("12345678900012", "FR33123456789")).expect("wrong key");
    assert!(e.contains("the key of SIREN 123456789 is 32"), "{e}");
    let e = refusal(&shop("98765432100012", "FR32123456789")).expect("another SIREN");
    assert!(e.contains("is not this shop's"), "{e}");
}

#[test]
fn till_run_without_a_config_names_the_files_it_looked_for_and_announces_what_it_creates() {
    if Path::new("/etc/comptoir/till.toml").exists() {
        eprintln!("/etc/comptoir/till.toml exists here: skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_till"))
        .arg("run")
        .env_remove("TILL_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    for needle in [
        "no till.toml",
        "$TILL_CONFIG",
        "/etc/comptoir/till.toml",
        "--demo",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    // A data folder without a journal: the new journal and key are announced
    // with their place, and the till says how to finish setting it up.
    let data = dir.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_till"))
        .args(["run", "--data"])
        .arg(&data)
        .env_remove("TILL_CONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("looked for") && stderr.contains("not set up"),
        "{stderr}"
    );
    assert!(
        stderr.contains("creating a new one for terminal T1, shop S1")
            && stderr.contains(&*data.join("journal.db.key").to_string_lossy()),
        "{stderr}"
    );
    assert!(
        stderr.contains("till users set") && stderr.contains("till catalog import"),
        "{stderr}"
    );
}

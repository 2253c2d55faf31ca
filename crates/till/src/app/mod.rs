//! `till run`: the counter app, a pure core in a thin shell.
//!
//! - [`counter`]: the state machine, pure: [`Counter::on`] takes an
//!   [`Input`] (a key, a device report, the result of an earlier effect)
//!   and the time, and returns [`Effect`]s (append to the journal, print,
//!   open the drawer, pay on the terminal, save the basket); one module per
//!   screen. No journal, file, clock or thread: tests drive it with inputs;
//! - [`payment`]: the card terminal's side of the counter (tenders, card
//!   refunds, late approvals), pure too, except the pending file;
//! - [`shell`]: [`App`], the shell: owns the journal, the devices, the clock
//!   and the files beside the journal, carries the effects out and feeds
//!   their results back as inputs;
//! - [`ui`]: draws the counter with ratatui (80x25 and up); [`ui_status`]:
//!   the message and status lines, wrapped or shortened, never cut mid-word;
//! - [`words`]: till-core's roles, actions, tenders and refusals in the
//!   cashier's words, through the catalog (`comptoir_i18n::till`);
//! - [`term`]: the terminal loop (crossterm keys, ~100 ms ticks);
//! - [`devices`]: printer, drawer and scanner on worker threads;
//! - [`terminal`]: the payment terminal on its own thread;
//! - [`demo`]: `--demo`: simulated devices on ptys, receipts to a text file;
//! - [`store`]: parked baskets, receipt look-up.

pub mod counter;
pub mod customer_display;
pub mod demo;
pub mod devices;
pub mod keys;
pub mod payment;
pub mod pin_guard;
pub mod rules;
pub mod run;
pub mod shell;
pub mod store;
pub mod term;
pub mod terminal;
pub mod ui;
pub mod ui_status;
pub mod words;

pub use counter::{Counter, Effect, Input, Level, Now, Screen, Settings};
pub use devices::{Devices, FakeDevices, Job, NoDevices, PayOutcome, Report};
pub use keys::Key;
pub use shell::App;
pub use terminal::{TerminalWorker, WithTerminal};

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use till_core::{Basket, ShopInfo};
use till_journal::{Journal, OpenOptions};

/// Reads the basket in progress saved in the journal, if any. A basket that
/// does not read back or fails validation is set aside in a file next to
/// the journal rather than dropped, and the counter starts empty.
pub fn restore_basket(journal: &Journal) -> Result<Option<Basket>> {
    let Some(bytes) = journal.load_basket()? else {
        return Ok(None);
    };
    let parsed = serde_json::from_slice::<Basket>(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|b| b.validate().map(|_| b).map_err(|e| e.to_string()));
    match parsed {
        Ok(b) if b.lines().is_empty() && b.tenders().is_empty() => Ok(None),
        Ok(b) => Ok(Some(b)),
        Err(why) => {
            let keep = journal.path().with_file_name("basket-unreadable.json");
            store::create_private(&keep)
                .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
                .with_context(|| format!("keeping an unreadable basket ({why})"))?;
            Ok(None)
        }
    }
}

/// Starts loading the catalog store on its own thread, so it overlaps with
/// opening the journal (the two are the bulk of the start-up time and touch
/// different files); join the handle when the catalog is needed.
pub fn spawn_catalog_load(
    path: PathBuf,
    patterns: Vec<till_core::barcode::EmbeddedPattern>,
) -> std::thread::JoinHandle<Result<till_core::Catalog>> {
    std::thread::spawn(move || {
        till_catalog::CatalogStore::open(&path)
            .and_then(|s| s.load(patterns))
            .with_context(|| {
                format!(
                    "loading the catalog {} (the sync daemon fills it)",
                    path.display()
                )
            })
    })
}

/// Waits for [`spawn_catalog_load`].
pub fn join_catalog(
    h: std::thread::JoinHandle<Result<till_core::Catalog>>,
) -> Result<till_core::Catalog> {
    h.join()
        .map_err(|_| anyhow::anyhow!("the catalog loader panicked"))?
}

/// Where a till keeps its files.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The folder.
    pub dir: PathBuf,
}

impl DataDir {
    /// The journal database.
    pub fn journal(&self) -> PathBuf {
        self.dir.join("journal.db")
    }
    /// The signing key (0600).
    pub fn key(&self) -> PathBuf {
        self.dir.join("journal.db.key")
    }
    /// The catalog store.
    pub fn catalog(&self) -> PathBuf {
        self.dir.join("catalog.db")
    }
}

/// Opens (or creates) the journal of a data folder.
pub fn open_journal(data: &DataDir, terminal_id: &str, shop_id: &str) -> Result<Journal> {
    std::fs::create_dir_all(&data.dir)
        .with_context(|| format!("creating the data folder {}", data.dir.display()))?;
    Journal::open(
        data.journal(),
        OpenOptions {
            terminal_id: terminal_id.to_string(),
            shop_id: shop_id.to_string(),
            key_path: data.key(),
            software_version: crate::VERSION.to_string(),
        },
    )
    .with_context(|| format!("opening the journal {}", data.journal().display()))
}

/// The demo shop's identity on receipts.
pub fn demo_shop() -> ShopInfo {
    ShopInfo {
        name: "Épicerie Comptoir (démo)".into(),
        address_lines: vec!["12 rue des Halles".into(), "69001 Lyon".into()],
        siret: "12345678900012".into(),
        vat_number: Some("FR32123456789".into()),
        footer_lines: vec!["Merci de votre visite".into()],
    }
}

/// `[till]` section of till.toml: who this till is. An unknown key is
/// refused (a typo such as `terminl_id` would otherwise run the till as T1).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TillConfig {
    /// Terminal id, printed on receipts and in receipt numbers.
    pub terminal_id: String,
    /// Shop id.
    pub shop_id: String,
    /// Data folder (journal.db, catalog.db, parked.json).
    pub data_dir: Option<PathBuf>,
    /// Shop identity printed on receipts and on the X and Z reports
    /// (`[till.shop]`: name, address_lines, siret, vat_number, footer_lines).
    pub shop: Option<ShopInfo>,
    /// Language of the screens and the printed reports: "fr" (default) or
    /// "en".
    pub lang: String,
}

impl TillConfig {
    /// The language of the screens (checked when the file is read).
    pub fn lang(&self) -> comptoir_i18n::Lang {
        comptoir_i18n::Lang::parse(&self.lang).unwrap_or_default()
    }
}

impl Default for TillConfig {
    fn default() -> Self {
        TillConfig {
            terminal_id: "T1".into(),
            shop_id: "S1".into(),
            data_dir: None,
            shop: None,
            lang: "fr".into(),
        }
    }
}

/// Reads the `[till]` section (absent: defaults).
pub fn load_till_config(path: &Path) -> Result<TillConfig> {
    // The file's top-level tables: `[devices.*]` is read by till-devices,
    // and anything else (`[device.printer]`) is a typo to refuse.
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Whole {
        #[serde(default)]
        till: TillConfig,
        #[allow(dead_code)]
        devices: Option<toml::Value>,
        // Read and checked by `rules::load_local`.
        #[allow(dead_code)]
        rules: Option<toml::Value>,
        // Read and checked by `rules::load_local`.
        #[allow(dead_code)]
        tenders: Option<toml::Value>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let w: Whole = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    comptoir_i18n::Lang::parse(&w.till.lang)
        .with_context(|| format!("{}: [till] lang", path.display()))?;
    if let Some(shop) = &w.till.shop {
        check_shop(shop).with_context(|| format!("{}: [till.shop]", path.display()))?;
    }
    Ok(w.till)
}

/// The shop's identity as the receipts and the Z print it: a SIRET of 14
/// digits, and a French VAT number that belongs to it (FR, a two-digit key,
/// the SIREN: the SIRET's first nine digits; the key is
/// (12 + 3 x (SIREN mod 97)) mod 97). Other countries' numbers are only
/// checked for shape.
pub fn check_shop(shop: &ShopInfo) -> Result<()> {
    let siret: String = shop.siret.chars().filter(|c| *c != ' ').collect();
    if !siret.is_empty() && (siret.len() != 14 || !siret.bytes().all(|b| b.is_ascii_digit())) {
        anyhow::bail!(
            "siret {:?}: a SIRET is 14 digits (the SIREN's 9, then the shop's 5)",
            shop.siret
        );
    }
    let Some(vat) = shop.vat_number.as_deref() else {
        return Ok(());
    };
    let vat: String = vat.chars().filter(|c| *c != ' ').collect();
    let shape = vat.len() >= 4
        && vat.len() <= 15
        && vat.bytes().take(2).all(|b| b.is_ascii_uppercase())
        && vat.bytes().skip(2).all(|b| b.is_ascii_alphanumeric());
    if !shape {
        anyhow::bail!(
            "vat_number {vat:?}: an intra-community VAT number is the country code then its digits (FR32123456789)"
        );
    }
    if let Some(rest) = vat.strip_prefix("FR") {
        let (key, siren) = rest.split_at(2.min(rest.len()));
        if siren.len() != 9 || !siren.bytes().all(|b| b.is_ascii_digit()) {
            anyhow::bail!(
                "vat_number {vat:?}: a French one is FR, a 2-character key, then the 9-digit SIREN"
            );
        }
        if siret.len() == 14 && &siret[..9] != siren {
            anyhow::bail!(
                "vat_number {vat:?} is not this shop's: its SIREN {siren} is not the start of siret {siret}"
            );
        }
        if let (Ok(key), Ok(n)) = (key.parse::<u64>(), siren.parse::<u64>()) {
            let expected = (12 + 3 * (n % 97)) % 97;
            if key != expected {
                anyhow::bail!(
                    "vat_number {vat:?}: the key of SIREN {siren} is {expected:02}, not {key:02} (a typo?)"
                );
            }
        }
    }
    Ok(())
}

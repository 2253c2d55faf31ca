//! `till catalog import|export|list`: the till's own catalog, for a shop
//! without head office. The file is the one `headoffice load-catalog` reads
//! (CSV with its header row, or JSON; parsed by `till_catalog::file`), and
//! `catalog.db` beside the journal is written through `till_catalog`, its
//! only owner. The import is journaled (`config_changed`, key
//! `catalog_import`), as till-sync journals each catalog version it applies.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use till_catalog::file::{items_for_store, parse};
use till_catalog::CatalogStore;
use till_core::records::{ConfigChanged, Event, Unit};
use till_core::{Catalog, Item};

/// `till catalog ...`
#[derive(Subcommand)]
pub enum CatalogCmd {
    /// Fill this till's catalog (catalog.db beside the journal) from a CSV or
    /// JSON file, in the format of `headoffice load-catalog`. The CSV's first
    /// line must be its header row (id,name,price,vat_rate,unit at least; see
    /// config/catalog-sample.csv). The whole catalog is replaced in one
    /// transaction; the counter reads it at its next start. Refused when head
    /// office keeps this catalog (till-sync fills it), unless --force.
    Import {
        /// The catalog file: .csv or .json.
        file: PathBuf,
        /// The till's journal (catalog.db is beside it; the import is noted in it).
        #[arg(long)]
        db: PathBuf,
        /// The signing key (default: beside the journal).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Replace a catalog that head office sent (till-sync will then send
        /// only later changes).
        #[arg(long)]
        force: bool,
    },
    /// Write this till's catalog as CSV (the import's format) to standard
    /// output, or to --out.
    Export {
        /// The till's journal (catalog.db is beside it).
        #[arg(long)]
        db: PathBuf,
        /// Write here instead of standard output (.csv or .json).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List this till's articles: id, name, price, VAT rate, barcodes.
    List {
        /// The till's journal (catalog.db is beside it).
        #[arg(long)]
        db: PathBuf,
    },
}

/// catalog.db beside the journal.
fn catalog_path(db: &Path) -> PathBuf {
    db.with_file_name("catalog.db")
}

fn open_store(db: &Path, create: bool) -> Result<CatalogStore> {
    let path = catalog_path(db);
    if !create && !path.exists() {
        bail!(
            "no catalog beside {}: fill it with `till catalog import FILE --db {}`",
            db.display(),
            db.display()
        );
    }
    CatalogStore::open(&path).with_context(|| format!("opening {}", path.display()))
}

pub fn run(cmd: CatalogCmd) -> Result<i32> {
    match cmd {
        CatalogCmd::Import {
            file,
            db,
            key,
            force,
        } => import(&file, &db, key, force),
        CatalogCmd::Export { db, out } => {
            let items = sorted(open_store(&db, false)?.load_items()?);
            let json = out
                .as_ref()
                .and_then(|p| p.extension())
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            let text = if json {
                serde_json::to_string_pretty(&items)? + "\n"
            } else {
                to_csv(&items)
            };
            match out {
                Some(p) => {
                    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
                    eprintln!("{} articles written to {}", items.len(), p.display());
                }
                None => print!("{text}"),
            }
            Ok(0)
        }
        CatalogCmd::List { db } => {
            let store = open_store(&db, false)?;
            let items = sorted(store.load_items()?);
            println!(
                "{:<14} {:<32} {:>10} {:>6} {:<5} barcodes",
                "id", "name", "price", "VAT %", "unit"
            );
            for it in &items {
                println!(
                    "{:<14} {:<32} {:>10} {:>6} {:<5} {}",
                    it.id,
                    it.name.chars().take(32).collect::<String>(),
                    it.price,
                    it.vat_rate.as_percent().normalize(),
                    unit(it.unit),
                    it.barcodes.join("|")
                );
            }
            println!(
                "{} articles (catalog version {})",
                items.len(),
                store.version()?
            );
            Ok(0)
        }
    }
}

fn import(file: &Path, db: &Path, key: Option<PathBuf>, force: bool) -> Result<i32> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let rows = parse(&text, file.extension().and_then(|e| e.to_str()))
        .with_context(|| format!("reading {}", file.display()))?;
    // Opened first: the journal says which shop this till is (a row with
    // another store's price is not this till's), and takes the note.
    let journal = crate::journal_cmd::open_rw(db, key)?;
    let items = items_for_store(&rows, journal.shop_id());
    if items.is_empty() {
        bail!(
            "{}: no article for shop {} (an empty file, or only other stores' rows)",
            file.display(),
            journal.shop_id()
        );
    }
    // A retail barcode with a wrong check digit can never be scanned: a
    // typo in the file, said now rather than at the counter.
    for it in &items {
        for b in &it.barcodes {
            let retail = matches!(b.len(), 8 | 12 | 13) && b.bytes().all(|c| c.is_ascii_digit());
            if retail {
                till_core::barcode::parse_retail(b).map_err(|e| {
                    anyhow::anyhow!("{}: article {}: barcode {b}: {e}", file.display(), it.id)
                })?;
            }
        }
    }
    // The counter must be able to load it: the same check, before writing.
    let patterns = till::demo::patterns().unwrap_or_default();
    Catalog::new(items.clone(), patterns)
        .with_context(|| format!("{}: these articles do not make a catalog", file.display()))?;
    let mut store = open_store(db, true)?;
    let version = store.version()?;
    if version > 0 && !force {
        bail!(
            "{} holds head office's catalog (version {version}, sent by till-sync): load \
             the file there (`headoffice load-catalog`) so every till gets it, or give \
             --force to replace it on this till only",
            catalog_path(db).display()
        );
    }
    let before = store.load_items()?.len();
    store.replace_all(&items, version)?;
    let ts = chrono::Local::now().fixed_offset();
    journal.append(
        ts,
        &Event::ConfigChanged(ConfigChanged {
            key: "catalog_import".into(),
            old_value: Some(format!("{before} articles")),
            new_value: Some(format!(
                "{} articles from {}",
                items.len(),
                file.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )),
            by: "till catalog import".into(),
        }),
    )?;
    println!(
        "{} articles imported into {} (there were {before}); the counter reads them at its next start",
        items.len(),
        catalog_path(db).display()
    );
    Ok(0)
}

fn sorted(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by(|a, b| a.id.cmp(&b.id));
    items
}

fn unit(u: Unit) -> &'static str {
    match u {
        Unit::Piece => "piece",
        Unit::Kg => "kg",
    }
}

/// The import's CSV: a header row, then one article per line.
fn to_csv(items: &[Item]) -> String {
    fn cell(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let opt =
        |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    let mut out = String::from(
        "id,name,price,vat_rate,unit,barcodes,stock_tracked,min_qty,max_qty,meal_voucher\n",
    );
    for it in items {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            cell(&it.id),
            cell(&it.name),
            it.price,
            it.vat_rate.as_percent().normalize(),
            unit(it.unit),
            cell(&it.barcodes.join("|")),
            it.stock_tracked,
            opt(it.rules.min_qty),
            opt(it.rules.max_qty),
            it.meal_voucher,
        ));
    }
    out
}

//! `till run [--config FILE] [--demo] [--data DIR]`: sets everything up and
//! hands over to the terminal loop.

use super::counter::Settings;
use super::devices::{DeviceThreads, Devices};
use super::shell::App;
use super::{demo_shop, load_till_config, open_journal, DataDir, TillConfig};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use till_core::{BasketConfig, Catalog};
use till_devices::config::{DevicesConfig, TerminalConfig};
use till_devices::escpos::receipt::Layout;

/// Arguments of `till run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// till.toml: `[till]` (terminal, shop, data folder) and `[devices.*]`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Demo shop: demo catalog and users (PINs 1111, 2222, 3333), simulated
    /// printer, drawer, scanner and card terminal, data in ./demo-data.
    #[arg(long)]
    pub demo: bool,
    /// Data folder (journal.db, its key, catalog.db, parked.json).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// The local clock with its current offset.
pub fn local_now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// Where `till run` looks for its configuration when `--config` is not
/// given: `$TILL_CONFIG`, then the installed file.
pub const CONFIG_PLACES: &str = "$TILL_CONFIG, /etc/comptoir/till.toml";

/// The configuration file to use: `--config`, else `$TILL_CONFIG`, else
/// /etc/comptoir/till.toml. None for the demo, which needs none, and for a
/// till started with `--data` alone (then said on stderr). Without any,
/// the error names every place looked at, before anything is created.
pub fn find_config(args: &RunArgs, env: Option<String>) -> Result<Option<PathBuf>> {
    if let Some(p) = &args.config {
        return Ok(Some(p.clone()));
    }
    let mut tried = Vec::new();
    let env = env.filter(|e| !e.is_empty());
    match &env {
        Some(e) => tried.push(format!("$TILL_CONFIG={e}")),
        None => tried.push("$TILL_CONFIG (not set)".to_string()),
    }
    let candidates = env
        .iter()
        .map(PathBuf::from)
        .chain([PathBuf::from("/etc/comptoir/till.toml")]);
    for p in candidates {
        if p.is_file() {
            return Ok(Some(p));
        }
        if !tried.iter().any(|t| t.ends_with(&*p.to_string_lossy())) {
            tried.push(p.display().to_string());
        }
    }
    if args.demo {
        return Ok(None);
    }
    match &args.data {
        Some(d) => {
            eprintln!(
                "till run: no till.toml (looked for {}): terminal T1, shop S1, data in {}",
                tried.join(", "),
                d.display()
            );
            Ok(None)
        }
        None => bail!(
            "no till.toml: looked for {}. Give one with --config FILE (config/till.toml \
             is a commented example), or try the demo shop: till run --demo",
            tried.join(", ")
        ),
    }
}

/// Runs the counter until the cashier quits (Ctrl-C / Ctrl-Q).
pub fn run(mut args: RunArgs) -> Result<i32> {
    args.config = find_config(&args, std::env::var("TILL_CONFIG").ok())?;
    let till_cfg = match &args.config {
        Some(p) => load_till_config(p)?,
        None => TillConfig::default(),
    };
    // Read on its own: a mistake in the terminal's section must not stop
    // the printer (see `with_configured_terminal`).
    let mut terminal_cfg = match &args.config {
        Some(p) => TerminalConfig::load(&p.to_string_lossy()).map_err(|e| e.to_string()),
        None => Ok(None),
    };
    // Read on its own too: a mistake in it is said, and the till sells
    // without a customer display.
    let mut display_cfg = match &args.config {
        Some(p) => match till_devices::config::DisplayConfig::load(&p.to_string_lossy()) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("customer display not used: {e}");
                None
            }
        },
        None => None,
    };
    let mut scale_cfg = match &args.config {
        Some(p) => match till_devices::config::ScaleConfig::load(&p.to_string_lossy()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("scale not used: {e}");
                None
            }
        },
        None => None,
    };
    let mut devices_cfg = match &args.config {
        Some(p) => DevicesConfig::load(&p.to_string_lossy())
            .with_context(|| format!("reading the devices of {}", p.display()))?,
        None => DevicesConfig::default(),
    };
    let dir = args
        .data
        .clone()
        .or(till_cfg.data_dir.clone())
        .unwrap_or_else(|| {
            if args.demo {
                PathBuf::from("demo-data")
            } else {
                PathBuf::from("/var/lib/comptoir")
            }
        });
    let data = DataDir { dir };
    let mut local_rules = match &args.config {
        Some(p) => super::rules::load_local(p)?,
        None => None,
    };
    if args.demo && local_rules.as_ref().is_none_or(|r| r.tenders.is_empty()) {
        // The demo shop takes titres-restaurant, paper and card.
        local_rules.get_or_insert_with(Default::default).tenders = crate::demo::tenders();
    }
    // A new till's journal and signing key are created here, from till.toml's
    // terminal and shop: said first, with where, never silently (the default
    // folder is /var/lib/comptoir).
    if !args.demo && !data.journal().exists() {
        eprintln!(
            "till run: no journal in {}: creating a new one for terminal {}, shop {}, \
             and its signing key {}",
            data.dir.display(),
            till_cfg.terminal_id,
            till_cfg.shop_id,
            data.key().display()
        );
    }
    // Head office's ruleset is read before the catalog loads: its label
    // patterns decide how weight and price labels read.
    let journal = open_journal(&data, &till_cfg.terminal_id, &till_cfg.shop_id)?;
    // The technical event log (NF525): this start, a version change, a
    // clock earlier than the last record or far ahead of it.
    let started = journal.record_start(local_now(), crate::VERSION)?;
    if let Some(secs) = started.clock_jump {
        eprintln!("till run: l'horloge a sauté de {secs} s depuis le dernier enregistrement du journal (inscrit au journal)");
    }
    let rules = super::rules::apply(&journal, &data.catalog(), local_rules.clone(), local_now())?;
    if let Some(w) = &rules.warning {
        eprintln!("{w}");
    }
    // Weight and price label patterns: the rules', else the French 21
    // (weight) and 22 (price).
    let patterns = match rules.ruleset.patterns() {
        Some(p) => p,
        None => crate::demo::patterns().unwrap_or_default(),
    };
    let catalog_load =
        (!args.demo).then(|| super::spawn_catalog_load(data.catalog(), patterns.clone()));
    let (catalog, users, shop, hotkeys, receipts_hint, mut demo) = if args.demo {
        let users = crate::users::ensure_demo_users(&journal)?;
        let (items, demo_patterns) = crate::demo::catalog()?;
        let patterns = if rules.ruleset.label_patterns.is_some() {
            patterns
        } else {
            demo_patterns
        };
        let barcodes: Vec<String> = items
            .iter()
            .filter_map(|i| i.barcodes.first().cloned())
            .collect();
        let catalog = Catalog::new(items, patterns).context("building the demo catalog")?;
        let demo = super::demo::start(&data.dir, barcodes)?;
        if args.config.is_none() {
            devices_cfg = demo.config.clone();
            terminal_cfg = Ok(demo.terminal.clone());
            display_cfg = demo.display.clone();
            scale_cfg = demo.scale.clone();
        }
        let hint = demo.receipts.display().to_string();
        let mut demo = demo;
        let hotkeys: Vec<super::term::Hotkey> = vec![
            (11, std::mem::replace(&mut demo.scan_next, Box::new(|| {}))),
            (
                12,
                std::mem::replace(&mut demo.toggle_paper, Box::new(|| {})),
            ),
        ];
        (
            catalog,
            users,
            till_cfg.shop.clone().unwrap_or_else(demo_shop),
            hotkeys,
            Some(hint),
            Some(demo),
        )
    } else {
        let users: Vec<till_core::User> = journal
            .list_users::<till_core::User>()?
            .into_iter()
            .map(|(_, u)| u)
            .collect();
        if users.is_empty() {
            bail!(
                "this till is not set up yet: no users in {0}. Create the first manager with \
                 `echo PIN | till users set --db {0} --id m1 --name NAME --role manager --by setup` \
                 (see `till users set --help`), fill the catalog with \
                 `till catalog import FILE --db {0}` (see config/catalog-sample.csv), \
                 or try `till run --demo`",
                data.journal().display()
            );
        }
        let catalog = match catalog_load {
            Some(h) => super::join_catalog(h)?,
            None => bail!("no catalog loader started"),
        };
        let shop = till_cfg.shop.clone().unwrap_or_default();
        (catalog, users, shop, Vec::new(), None, None)
    };
    let layout = devices_cfg
        .printer
        .as_ref()
        .map(|p| p.layout())
        .unwrap_or_else(Layout::default);
    // A logo that cannot be read is reported once and receipts print without
    // it: a missing picture must not stop the shop from selling.
    let logo = match devices_cfg.printer.as_ref().map(|p| p.logo()).transpose() {
        Ok(l) => l.flatten(),
        Err(e) => {
            eprintln!("receipt logo not used: {e}");
            None
        }
    };
    let devices: Box<dyn Devices> = super::terminal::with_configured_terminal(
        DeviceThreads::start(&devices_cfg)
            .with_display(display_cfg)
            .with_scale(scale_cfg),
        terminal_cfg,
    );
    let mut counter_rules = super::rules::CounterRules::from_ruleset(&rules.ruleset, rules.source);
    if rules.ruleset.drawer_left_open_seconds.is_none() {
        // The drawer's own `left_open_after_s` when the rules say nothing.
        if let Some(d) = &devices_cfg.drawer {
            counter_rules.drawer_left_open_s = d.left_open_after_s;
        }
    }
    let settings = Settings {
        shop,
        basket: rules.ruleset.basket_config(BasketConfig::default()),
        layout,
        logo,
        receipts_hint,
        rules: counter_rules,
        lang: till_cfg.lang(),
    };
    let mut app = App::new(
        journal,
        catalog,
        users,
        settings,
        devices,
        Box::new(local_now),
    )?;
    let seen = match rules.source {
        super::rules::RulesSource::HeadOffice(v) => v,
        _ => till_catalog::CatalogStore::open(&data.catalog())
            .ok()
            .and_then(|s| s.ruleset().ok().flatten())
            .map(|(v, _)| v)
            .unwrap_or(0),
    };
    app.watch_rules(super::rules::RulesWatch::new(
        local_rules,
        data.catalog(),
        seen,
        devices_cfg.drawer.as_ref().map(|d| d.left_open_after_s),
    ));
    if !args.demo {
        // Customers are optional: a shop without head office has none.
        if let Err(e) = app.load_customers(&data.catalog()) {
            eprintln!("customers not loaded (sales on account unavailable): {e:#}");
        }
    }
    let res = super::term::run(&mut app, hotkeys);
    if let Some(d) = demo.as_mut() {
        d.finish();
    }
    res?;
    app.journal().record_stop(local_now(), crate::VERSION)?;
    Ok(0)
}

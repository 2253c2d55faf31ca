//! `till simulate` and `till journal ...`.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use till::report::period_report;
use till::simulate::{self, SimOptions};
use till_core::records::ClosingKind;
use till_journal::{verify, Journal, VerifyOptions, VerifyReport};

/// Where the journal lives unless `--db` says otherwise.
pub(crate) const DEFAULT_DB: &str = "/var/lib/comptoir/journal.db";

#[derive(Args)]
pub struct SimulateArgs {
    /// The journal database (created if absent).
    #[arg(long, env = "TILL_DB", default_value = DEFAULT_DB)]
    db: PathBuf,
    /// The signing key file [default: the database path + ".key"].
    #[arg(long)]
    key: Option<PathBuf>,
    /// Number of sales in all.
    #[arg(long, default_value_t = 300)]
    sales: u64,
    /// Number of trading days to spread them over (each ends with a Z closing).
    #[arg(long, default_value_t = 1)]
    days: u32,
    /// Seed: the same seed gives the same sales (record payloads; hashes differ, as each journal has its own key).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First trading day of a new journal (an existing one continues after its last Z).
    #[arg(long, default_value = "2026-01-05")]
    start: NaiveDate,
    #[arg(long, default_value = "T01")]
    terminal: String,
    #[arg(long, default_value = "SHOP01")]
    shop: String,
    /// Use a synthetic catalog of N items instead of the demo grocery.
    #[arg(long)]
    items: Option<usize>,
    /// Print "ack SEQ HASH" after each durably committed sale (for crash tests).
    #[arg(long)]
    ack: bool,
    /// Save the basket in progress after every change, as the counter app does.
    #[arg(long)]
    persist_basket: bool,
    /// Skip the verification and the report at the end.
    #[arg(long)]
    quiet: bool,
    /// Commit this many events per transaction (bulk generation for benchmarks;
    /// the counter commits each sale on its own, which is the default).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    batch: u64,
}

#[derive(Subcommand)]
pub enum JournalCmd {
    /// Walk the chain: hashes, seq continuity, signatures, tail marker and
    /// projections. Exit 0 intact, 1 tampered (names the first bad record),
    /// 2 could not check.
    Verify {
        #[arg(long, env = "TILL_DB", default_value = DEFAULT_DB)]
        db: PathBuf,
        /// The terminal's public key (hex) as head office knows it.
        #[arg(long)]
        public_key: Option<String>,
        /// Chain only: hashes, links, seqs, signatures and tail marker, without
        /// decoding payloads or comparing projections (several times faster).
        #[arg(long)]
        skip_projections: bool,
        #[arg(long)]
        json: bool,
    },
    /// Recompute the derived tables (stock levels, period totals) from the events.
    Rebuild {
        #[arg(long, env = "TILL_DB", default_value = DEFAULT_DB)]
        db: PathBuf,
        /// The signing key file [default: the database path + ".key"].
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Write the fiscal archive of a closed month (--period 2026-11) or year
    /// (--year 2026) into OUT (docs/archive.md); check it with comptoir-verify.
    Export {
        #[arg(long, env = "TILL_DB", default_value = DEFAULT_DB)]
        db: PathBuf,
        /// The signing key file [default: the database path + ".key"].
        #[arg(long)]
        key: Option<PathBuf>,
        /// A closed month, e.g. 2026-11.
        #[arg(long, conflicts_with = "year")]
        period: Option<String>,
        /// A closed year, e.g. 2026.
        #[arg(long)]
        year: Option<String>,
        /// The folder the archive goes in (as OUT/<terminal>-<period>).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the X (or, once closed, Z) report of a day, month or year.
    Report {
        #[arg(long, env = "TILL_DB", default_value = DEFAULT_DB)]
        db: PathBuf,
        /// A day, e.g. 2026-01-05.
        #[arg(long, conflicts_with_all = ["month", "year"])]
        day: Option<NaiveDate>,
        /// A month, e.g. 2026-01.
        #[arg(long, conflicts_with = "year")]
        month: Option<String>,
        /// A year, e.g. 2026.
        #[arg(long)]
        year: Option<String>,
    },
}

pub fn simulate(a: SimulateArgs) -> Result<i32> {
    let opts = SimOptions {
        db: a.db.clone(),
        key: a.key,
        sales: a.sales,
        days: a.days,
        seed: a.seed,
        start: a.start,
        terminal_id: a.terminal,
        shop_id: a.shop,
        items: a.items,
        ack: a.ack,
        persist_basket: a.persist_basket && a.batch == 1,
        print_reports: false,
        batch: a.batch as usize,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let started = std::time::Instant::now();
    let summary = simulate::run(&opts, &mut out)?;
    if a.quiet {
        return Ok(0);
    }
    writeln!(
        out,
        "simulated {} sales, {} refunds, {} cancellations over {} day(s): {} events appended in {:.1} s; journal head is seq {}",
        summary.sales,
        summary.refunds,
        summary.cancellations,
        summary.closed_days.len(),
        summary.events_appended,
        started.elapsed().as_secs_f64(),
        summary.head_seq
    )?;
    let report = verify(&a.db, VerifyOptions::default())?;
    print_verify(&mut out, &report)?;
    let journal = Journal::open_read_only(&a.db)?;
    if let Some(day) = summary.closed_days.last() {
        writeln!(out)?;
        write!(
            out,
            "{}",
            period_report(&journal, ClosingKind::Day, &day.to_string())?
        )?;
    }
    writeln!(
        out,
        "\nThe journal is {}; check it again with: till journal verify --db {}",
        a.db.display(),
        a.db.display()
    )?;
    Ok(if report.ok { 0 } else { 1 })
}

fn print_verify(out: &mut impl Write, r: &VerifyReport) -> Result<()> {
    match &r.first_problem {
        None => writeln!(
            out,
            "journal intact: {} events, head seq {} ({}…), {} signed closing(s), tail marker{} checked{}",
            r.events,
            r.head_seq,
            r.head_hash.get(..16).unwrap_or(&r.head_hash),
            r.closings_checked,
            if r.tail_seq.is_some() { "" } else { " absent," },
            if r.projections_checked { ", projections match the events" } else { "" }
        )?,
        Some(p) => writeln!(out, "JOURNAL TAMPERED OR DAMAGED: {p}")?,
    }
    Ok(())
}

pub fn run(cmd: JournalCmd) -> Result<i32> {
    match cmd {
        JournalCmd::Verify {
            db,
            public_key,
            skip_projections,
            json,
        } => {
            let opts = VerifyOptions {
                expected_public_key: public_key,
                skip_projections,
                ..VerifyOptions::default()
            };
            let report = match verify(&db, opts) {
                Ok(r) => r,
                Err(e) => {
                    if json {
                        let v = serde_json::json!({ "ok": false, "checked": false, "error": e.to_string() });
                        println!("{v}");
                    } else {
                        eprintln!("could not check the journal {}: {e}", db.display());
                    }
                    return Ok(2);
                }
            };
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                print_verify(&mut out, &report)?;
            }
            Ok(if report.ok { 0 } else { 1 })
        }
        JournalCmd::Rebuild { db, key } => {
            let journal = open_rw(&db, key)?;
            journal.rebuild_projections()?;
            println!("projections rebuilt from the events of {}", db.display());
            Ok(0)
        }
        JournalCmd::Export {
            db,
            key,
            period,
            year,
            out,
        } => export(&db, key, period, year, &out),
        JournalCmd::Report {
            db,
            day,
            month,
            year,
        } => {
            let journal = Journal::open_read_only(&db)
                .with_context(|| format!("opening the journal {}", db.display()))?;
            let (kind, period) = match (day, month, year) {
                (Some(d), _, _) => (ClosingKind::Day, d.to_string()),
                (None, Some(m), _) => (ClosingKind::Month, m),
                (None, None, Some(y)) => (ClosingKind::Year, y),
                (None, None, None) => anyhow::bail!("say which period: --day, --month or --year"),
            };
            print!("{}", period_report(&journal, kind, &period)?);
            Ok(0)
        }
    }
}

/// `till journal export`: the archive of a closed month or year, its
/// creation journaled. An open period is refused in words, exit 1.
fn export(
    db: &std::path::Path,
    key: Option<PathBuf>,
    period: Option<String>,
    year: Option<String>,
    out: &std::path::Path,
) -> Result<i32> {
    use comptoir_i18n::till_archive::TillArchive as M;
    use comptoir_i18n::{Lang, Template};
    let lang = Lang::Fr;
    let (kind, period) = match (period, year) {
        (Some(p), None)
            if p.len() == 7
                && NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d").is_ok() =>
        {
            (ClosingKind::Month, p)
        }
        (None, Some(y)) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => {
            (ClosingKind::Year, y)
        }
        (None, None) => {
            eprintln!("{}", M::NeedPeriod.text(lang));
            return Ok(2);
        }
        (Some(p), _) | (None, Some(p)) => {
            eprintln!("{}", M::BadPeriod.fill(lang, &[("period", &p)]));
            return Ok(2);
        }
    };
    let (what, of, closing) = match kind {
        ClosingKind::Year => (M::PeriodYear, M::OfYear, M::ClosingYear),
        _ => (M::PeriodMonth, M::OfMonth, M::ClosingMonth),
    };
    let what = what.fill(lang, &[("period", &period)]);
    let of = of.fill(lang, &[("period", &period)]);
    let journal = open_rw(db, key)?;
    let now = chrono::Local::now().fixed_offset();
    match journal.export_archive(now, kind, &period, out, till::VERSION) {
        Ok(w) => {
            println!(
                "{}",
                M::Written.fill(
                    lang,
                    &[
                        ("of", &of),
                        ("dir", &w.dir.display()),
                        ("events", &w.events),
                        ("first", &w.first_seq),
                        ("last", &w.last_seq),
                        ("sha", &w.manifest_sha256),
                    ]
                )
            );
            Ok(0)
        }
        Err(till_journal::JournalError::PeriodOpen { .. }) => {
            eprintln!(
                "{}",
                M::OpenPeriod.fill(lang, &[("what", &what), ("closing", &closing.text(lang))])
            );
            Ok(1)
        }
        Err(till_journal::JournalError::InvalidPeriod { .. }) => {
            eprintln!("{}", M::BadPeriod.fill(lang, &[("period", &period)]));
            Ok(2)
        }
        Err(e) => Err(e).with_context(|| format!("exporting {period} from {}", db.display())),
    }
}

/// Opens an existing journal read-write; the terminal's identity is read from it.
pub(crate) fn open_rw(db: &std::path::Path, key: Option<PathBuf>) -> Result<Journal> {
    let ro = Journal::open_read_only(db)
        .with_context(|| format!("opening the journal {}", db.display()))?;
    let opts = till_journal::OpenOptions {
        terminal_id: ro.terminal_id().to_string(),
        shop_id: ro.shop_id().to_string(),
        key_path: key.unwrap_or_else(|| simulate::key_path_for(db)),
        software_version: till::VERSION.to_string(),
    };
    drop(ro);
    Ok(Journal::open(db, opts)?)
}

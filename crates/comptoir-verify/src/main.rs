//! `comptoir-verify ARCHIVE_DIR [--previous PREV_DIR] [--public-key HEX] [--json]`:
//! checks a comptoir fiscal archive offline. Exit 0 intact, 1 altered (each
//! alteration named: file, line, seq, field), 2 unreadable.

use comptoir_verify::{verify, Options, Report};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: comptoir-verify ARCHIVE_DIR [--previous PREV_DIR] [--public-key HEX] [--json]";

fn main() -> ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut opts = Options::default();
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = true,
            "--previous" => opts.previous = args.next().map(PathBuf::from),
            "--public-key" => opts.public_key = args.next(),
            "--version" | "-V" => {
                println!("comptoir-verify {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "--help" | "-h" => {
                println!("{USAGE}\n\nVérifie une archive fiscale comptoir sans la caisse : code de sortie 0 intacte, 1 altérée (chaque altération nommée : fichier, ligne, seq, champ), 2 illisible.");
                return ExitCode::SUCCESS;
            }
            _ if dir.is_none() && !a.starts_with("--") => dir = Some(PathBuf::from(a)),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(dir) = dir else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if opts
        .previous
        .as_ref()
        .is_some_and(|p| p.as_os_str().is_empty())
    {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    match verify(&dir, &opts) {
        Ok(report) => {
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(s) => println!("{s}"),
                    Err(_) => return ExitCode::from(2),
                }
            } else {
                print_human(&report);
            }
            ExitCode::from(if report.ok { 0 } else { 1 })
        }
        Err(e) => {
            if json {
                let v =
                    serde_json::json!({ "ok": false, "checked": false, "error": e.to_string() });
                println!("{v}");
            } else {
                eprintln!("archive illisible : {e}");
            }
            ExitCode::from(2)
        }
    }
}

fn print_human(r: &Report) {
    if r.ok {
        println!(
            "archive intacte : terminal {}, {} {}, {} événements (seq {} à {}), {} clôture(s) signée(s) vérifiée(s), {} totaux recalculés, {} grands totaux recalculés{}{}",
            r.terminal_id,
            if r.period_kind == "year" { "année" } else { "mois" },
            r.period,
            r.events,
            r.first_seq,
            r.last_seq,
            r.closings_checked,
            r.totals_recomputed,
            r.grand_totals_checked,
            if r.manifest_signed { ", manifeste signé" } else { ", manifeste non signé (copie du siège)" },
            if r.previous_checked { ", continuité avec l'archive précédente vérifiée" } else { "" },
        );
    } else {
        println!("ARCHIVE ALTÉRÉE : {} problème(s)", r.problems.len());
        for p in &r.problems {
            println!("  {p}");
        }
    }
    for n in &r.notes {
        println!("note : {n}");
    }
}

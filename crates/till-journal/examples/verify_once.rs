//! One full verification of the journal given as argument, for profiling
//! (`valgrind --tool=callgrind`, `perf record`): prints the report's verdict,
//! the wall time and nothing else.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: verify_once JOURNAL [--chain]");
        std::process::exit(2);
    };
    let skip = std::env::args().any(|a| a == "--chain");
    let t = std::time::Instant::now();
    match till_journal::verify(
        &path,
        till_journal::VerifyOptions {
            skip_projections: skip,
            ..Default::default()
        },
    ) {
        Ok(r) => println!(
            "ok={} events={} in {:.3} s ({:?})",
            r.ok,
            r.events,
            t.elapsed().as_secs_f64(),
            r.first_problem
        ),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

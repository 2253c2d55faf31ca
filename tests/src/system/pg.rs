//! PostgreSQL for the tests: a throwaway cluster per test
//! (`headoffice::testpg`), stopped and deleted when the test ends.

use headoffice::testpg::TestPg;

/// A running cluster and a database URL in it, or None (with a loud message)
/// when PostgreSQL is not installed. Any other failure fails the test.
pub fn cluster() -> Option<(TestPg, String)> {
    if !TestPg::available() {
        // In CI (.ci/run sets this) a missing server is a failure, not a skip.
        assert!(
            std::env::var_os("COMPTOIR_REQUIRE_TOOLS").is_none(),
            "PostgreSQL is required here (COMPTOIR_REQUIRE_TOOLS is set): apt-get install postgresql"
        );
        eprintln!(
            "\n*** SKIPPED: PostgreSQL binaries not found (install postgresql or set PG_BIN) ***\n"
        );
        return None;
    }
    let pg = TestPg::start(&["fsync=off"]).expect("starting a throwaway PostgreSQL");
    let url = pg.create_db("headoffice").expect("create database");
    Some((pg, url))
}

//! `till users ...`: the people who may use this till, and their PINs.
//!
//! Every change is journaled (a `config_changed` event naming who made it), so
//! a promotion to supervisor can never go unrecorded, and every change is
//! made by someone who proves it is them: `--by` names a manager or a
//! technician, whose PIN follows on standard input (after the new PIN, for
//! `set`). A wrong PIN counts against that person; five in a row lock them out
//! until a manager sets them a new PIN.
//!
//! The first manager: on a journal with no manager and no technician (a new
//! till), `set --role manager --by setup` creates one with only the new PIN on
//! standard input. Whoever runs it can already read the signing key (the
//! command needs it), so this opens nothing that file access did not; once a
//! manager or technician exists, `setup` is refused. The demo shop creates its
//! users the same way (`till run --demo`).

use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use std::io::BufRead;
use std::path::PathBuf;
use till_core::auth::{
    hash_pin_peppered, needs_pepper, pin_is_valid, verify_pin_peppered, Role, User,
    MAX_PIN_FAILURES,
};
use till_journal::Journal;

/// What `--by` says for the first manager of a new till.
pub const SETUP: &str = "setup";

/// The one wording of the PIN rule, for the help and the error alike.
const PIN_RULE: &str = "a PIN is 4 to 32 digits";

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Cashier,
    Supervisor,
    Manager,
    Technician,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Cashier => Role::Cashier,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Manager => Role::Manager,
            RoleArg::Technician => Role::Technician,
        }
    }
}

#[derive(Subcommand)]
pub enum UsersCmd {
    /// Create a user, or change their name, role or PIN (which also lifts a
    /// lock-out). Standard input: first line the new PIN (a PIN is 4 to 32
    /// digits, not another user's), second line the PIN of the manager or
    /// technician named by --by. The first manager of a new till: --by setup,
    /// and the new PIN only.
    Set {
        #[arg(long, env = "TILL_DB", default_value = crate::journal_cmd::DEFAULT_DB)]
        db: PathBuf,
        /// The signing key file [default: the database path + ".key"].
        #[arg(long)]
        key: Option<PathBuf>,
        /// Identifier recorded in the journal, e.g. "c2".
        #[arg(long)]
        id: String,
        /// Name printed on receipts.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The manager or technician making the change (recorded in the
        /// journal), e.g. "m1"; their PIN is the second line of standard input.
        #[arg(long)]
        by: String,
    },
    /// List the users (never their PIN hashes).
    List {
        #[arg(long, env = "TILL_DB", default_value = crate::journal_cmd::DEFAULT_DB)]
        db: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Remove a user (their past records keep their id). Standard input: the
    /// PIN of the manager or technician named by --by.
    Remove {
        #[arg(long, env = "TILL_DB", default_value = crate::journal_cmd::DEFAULT_DB)]
        db: PathBuf,
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long)]
        id: String,
        /// The manager or technician making the change, e.g. "m1".
        #[arg(long)]
        by: String,
    },
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// The next line of standard input, without its line ending.
fn read_pin(lines: &mut impl BufRead, what: &str) -> Result<String> {
    let mut line = String::new();
    let n = lines
        .read_line(&mut line)
        .with_context(|| format!("reading {what} from standard input"))?;
    if n == 0 {
        bail!("{what} is missing from standard input");
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Checks that `by` is a manager or technician who is not locked out and that
/// `pin` is theirs. A wrong PIN is counted (and journaled); the fifth in a row
/// locks them out. A right one from before peppering is re-hashed with it.
fn authenticate(journal: &Journal, by: &str, pin: &str) -> Result<User> {
    let Some(actor) = journal.get_user::<User>(by)? else {
        bail!(
            "--by {by}: no such user; changes are made by a manager or a technician of this till"
        );
    };
    if !matches!(actor.role, Role::Manager | Role::Technician) {
        bail!(
            "--by {by}: a {} may not manage users; a manager or a technician must",
            actor.role.as_str()
        );
    }
    if journal.pin_failures(by)?.is_some_and(|f| f.locked) {
        bail!("{by} is locked out after {MAX_PIN_FAILURES} wrong PINs: another manager (or the technician) must set them a new PIN");
    }
    if !verify_pin_peppered(&actor, pin, journal.pin_pepper()) {
        let f = journal.record_pin_failure(now(), by)?;
        match f {
            Some(f) if f.locked => bail!(
                "wrong PIN for {by}: {by} is now locked out ({MAX_PIN_FAILURES} wrong PINs in a row, journaled); \
                 another manager (or the technician) must set them a new PIN"
            ),
            Some(f) => bail!(
                "wrong PIN for {by} (the second line of standard input); {} more wrong PIN(s) lock {by} out",
                MAX_PIN_FAILURES.saturating_sub(f.failures)
            ),
            None => bail!("wrong PIN for {by}"),
        }
    }
    journal.clear_pin_failures(now(), by)?;
    if let Some(pepper) = journal.pin_pepper().filter(|_| needs_pepper(&actor)) {
        let mut upgraded = actor.clone();
        upgraded.pin_hash = hash_pin_peppered(pin, &salt()?, pepper)?;
        journal.put_user(now(), by, by, &upgraded)?;
    }
    Ok(actor)
}

fn salt() -> Result<[u8; 16]> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt)
        .map_err(|e| anyhow::anyhow!("drawing a salt for the PIN hash: {e}"))?;
    Ok(salt)
}

/// Whether anyone could authorise a change (else only `--by setup` can).
fn has_administrator(users: &[(String, User)]) -> bool {
    users
        .iter()
        .any(|(_, u)| matches!(u.role, Role::Manager | Role::Technician))
}

pub fn run(cmd: UsersCmd) -> Result<i32> {
    match cmd {
        UsersCmd::Set {
            db,
            key,
            id,
            name,
            role,
            by,
        } => {
            if id.trim().is_empty() || name.trim().is_empty() {
                bail!("--id and --name must not be empty");
            }
            let stdin = std::io::stdin();
            let mut lines = stdin.lock();
            let pin = read_pin(&mut lines, "the new PIN (first line)")?;
            if !pin_is_valid(&pin) {
                bail!("{PIN_RULE}: give the new PIN on the first line of standard input");
            }
            let role: Role = role.into();
            let journal = crate::journal_cmd::open_rw(&db, key)?;
            let users: Vec<(String, User)> = journal.list_users()?;
            if by == SETUP {
                if has_administrator(&users) {
                    bail!("--by setup only creates the first manager of a new till; this one has a manager or technician: name them with --by");
                }
                if role != Role::Manager {
                    bail!("the first user of a till is its manager: --role manager");
                }
            } else {
                let acting = read_pin(&mut lines, &format!("the PIN of {by} (second line)"))?;
                authenticate(&journal, &by, &acting)?;
            }
            let pepper = journal
                .pin_pepper()
                .context("the PIN pepper is not available")?;
            // The till logs in by PIN alone: two users with one PIN would be one.
            let taken = users
                .iter()
                .any(|(uid, u)| *uid != id && verify_pin_peppered(u, &pin, Some(pepper)));
            if taken {
                bail!("this PIN is already another user's: choose another (the till recognises people by their PIN)");
            }
            let user = User {
                id: id.clone(),
                name,
                role,
                pin_hash: hash_pin_peppered(&pin, &salt()?, pepper)?,
            };
            journal.put_user(now(), &by, &id, &user)?;
            println!(
                "user {id} saved ({}); the change is in the journal",
                user.role.as_str()
            );
            Ok(0)
        }
        UsersCmd::List { db, json } => {
            let journal = Journal::open_read_only(&db)
                .with_context(|| format!("opening the journal {}", db.display()))?;
            let users: Vec<(String, User)> = journal.list_users()?;
            if json {
                let list: Vec<_> = users
                    .iter()
                    .map(|(id, u)| {
                        let locked = journal.pin_failures(id).ok().flatten().is_some_and(|f| f.locked);
                        serde_json::json!({"id": u.id, "name": u.name, "role": u.role.as_str(), "locked": locked})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for (id, u) in &users {
                    let locked = journal.pin_failures(id)?.is_some_and(|f| f.locked);
                    println!(
                        "{:<10} {:<12} {}{}",
                        u.id,
                        u.role.as_str(),
                        u.name,
                        if locked {
                            "  (locked out: a manager must set a new PIN)"
                        } else {
                            ""
                        }
                    );
                }
            }
            Ok(0)
        }
        UsersCmd::Remove { db, key, id, by } => {
            let stdin = std::io::stdin();
            let acting = read_pin(&mut stdin.lock(), &format!("the PIN of {by}"))?;
            let journal = crate::journal_cmd::open_rw(&db, key)?;
            authenticate(&journal, &by, &acting)?;
            if journal.delete_user(now(), &by, &id)? {
                println!("user {id} removed; the change is in the journal");
                Ok(0)
            } else {
                eprintln!("no user {id}");
                Ok(1)
            }
        }
    }
}

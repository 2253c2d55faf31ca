//! `till users ...`: the people who may use this till, and their PINs.
//!
//! Every change is journaled (a `config_changed` event naming who made it), so
//! a promotion to supervisor can never go unrecorded.

use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use std::io::BufRead;
use std::path::PathBuf;
use till_core::auth::{hash_pin, Role, User};
use till_journal::Journal;

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
    /// Create a user, or change their name, role or PIN. The PIN (4 to 32
    /// characters) is read from the first line of standard input.
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
        /// Who makes the change (recorded in the journal), e.g. "m1".
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
    /// Remove a user (their past records keep their id).
    Remove {
        #[arg(long, env = "TILL_DB", default_value = crate::journal_cmd::DEFAULT_DB)]
        db: PathBuf,
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long)]
        id: String,
        #[arg(long)]
        by: String,
    },
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
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
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the PIN from standard input")?;
            let pin = line.trim_end_matches(['\r', '\n']);
            if !pin.chars().all(|c| c.is_ascii_digit()) || !(4..=32).contains(&pin.len()) {
                bail!("the PIN must be 4 to 32 digits, given on the first line of standard input");
            }
            let mut salt = [0u8; 16];
            getrandom::getrandom(&mut salt)
                .map_err(|e| anyhow::anyhow!("drawing a salt for the PIN hash: {e}"))?;
            let user = User {
                id: id.clone(),
                name,
                role: role.into(),
                pin_hash: hash_pin(pin, &salt)?,
            };
            let journal = crate::journal_cmd::open_rw(&db, key)?;
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
                    .map(|(_, u)| serde_json::json!({"id": u.id, "name": u.name, "role": u.role.as_str()}))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for (_, u) in &users {
                    println!("{:<10} {:<12} {}", u.id, u.role.as_str(), u.name);
                }
            }
            Ok(0)
        }
        UsersCmd::Remove { db, key, id, by } => {
            let journal = crate::journal_cmd::open_rw(&db, key)?;
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

//! The demo users and their PINs, stored hashed (and peppered) in the journal database.

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use till_core::auth::{hash_pin_peppered, Role, User};
use till_journal::Journal;

/// (id, name, role, PIN). Known PINs: this is the demo shop.
pub const DEMO_USERS: &[(&str, &str, Role, &str)] = &[
    ("c1", "Camille", Role::Cashier, "1111"),
    ("s1", "Sacha", Role::Supervisor, "2222"),
    ("m1", "Morgane", Role::Manager, "3333"),
    ("t1", "Théo", Role::Technician, "4444"),
];

/// Creates the demo users that do not exist yet (PINs hashed with argon2 and a
/// fresh random salt), and returns all four. Creations are journaled now.
pub fn ensure_demo_users(journal: &Journal) -> Result<Vec<User>> {
    ensure_demo_users_at(journal, chrono::Local::now().fixed_offset())
}

/// Like [`ensure_demo_users`], journaling the creations at `ts`.
pub fn ensure_demo_users_at(journal: &Journal, ts: DateTime<FixedOffset>) -> Result<Vec<User>> {
    let mut users = Vec::new();
    for (id, name, role, pin) in DEMO_USERS {
        let user = match journal.get_user::<User>(id)? {
            Some(u) => u,
            None => {
                let mut salt = [0u8; 16];
                getrandom::getrandom(&mut salt)
                    .map_err(|e| anyhow::anyhow!("drawing a salt for a PIN hash: {e}"))?;
                let u = User {
                    id: id.to_string(),
                    name: name.to_string(),
                    role: *role,
                    pin_hash: hash_pin_peppered(
                        pin,
                        &salt,
                        journal.pin_pepper().context(
                            "the PIN pepper is not available (journal opened read-only)",
                        )?,
                    )?,
                };
                journal.put_user(ts, "setup", id, &u)?;
                u
            }
        };
        users.push(user);
    }
    Ok(users)
}

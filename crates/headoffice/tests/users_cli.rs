//! `headoffice user add|list|remove|reset-password`: the password from
//! standard input (refused empty, short or too long), e-mails normalised and
//! unique, a store for a manager only, argon2 hashes, every change audited,
//! and a password reset ending the sessions.

use headoffice::store::auth::BoRole;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn user(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_headoffice"))
        .args(["--db", db, "user"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run headoffice");
    let mut input = c.stdin.take().expect("stdin");
    // The command may refuse before reading: a closed pipe is fine.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    c.wait_with_output().expect("wait")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: &Output, says: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "accepted; wanted a refusal saying {says:?}"
    );
    assert!(err.contains(says), "{err:?} should say {says:?}");
}

#[test]
fn user_commands_read_the_password_from_stdin() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let add = |args: &[&str], pw: &str| {
        let mut a = vec!["add"];
        a.extend_from_slice(args);
        user(&db, &a, pw)
    };
    let owner = ["--email", "You@Shop.FR", "--role", "owner"];
    refused(&add(&owner, ""), "the password is empty");
    refused(&add(&owner, "\n"), "the password is empty");
    refused(&add(&owner, "short\n"), "too short");
    refused(&add(&owner, &"x".repeat(5000)), "too long");
    refused(
        &add(
            &["--email", "not-an-email", "--role", "owner"],
            "long enough pw\n",
        ),
        "is not an e-mail address",
    );
    refused(
        &add(
            &["--email", "m@shop.fr", "--role", "manager"],
            "long enough pw\n",
        ),
        "a manager needs --store",
    );
    refused(
        &add(
            &[
                "--email",
                "a@shop.fr",
                "--role",
                "accountant",
                "--store",
                "S1",
            ],
            "long enough pw\n",
        ),
        "--store is only for a manager",
    );
    refused(
        &add(
            &["--email", "a@shop.fr", "--role", "boss"],
            "long enough pw\n",
        ),
        "boss",
    );
    // Only the first line is the password, its newline dropped.
    ok(&add(&owner, "long enough pw\nignored\n"));
    refused(
        &add(
            &["--email", " you@shop.fr", "--role", "owner"],
            "another password\n",
        ),
        "exists",
    );
    ok(&add(
        &[
            "--email",
            "m1@shop.fr",
            "--role",
            "manager",
            "--store",
            "S1",
        ],
        "manager password",
    ));

    let list = ok(&user(&db, &["list"], ""));
    assert!(
        list.contains("you@shop.fr") && list.contains("owner"),
        "{list}"
    );
    assert!(list.contains("m1@shop.fr") && list.contains("S1"), "{list}");
    assert!(!list.contains("argon2"), "no hash listed: {list}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&user(&db, &["list", "--json"], ""))).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    assert!(json[0].get("password_hash").is_none());

    let store = headoffice::store::open(&db).expect("store");
    let u = store
        .user_by_email("you@shop.fr")
        .expect("get")
        .expect("user");
    assert_eq!(u.role, BoRole::Owner);
    assert!(
        u.password_hash.starts_with("$argon2id$"),
        "{}",
        u.password_hash
    );
    assert!(headoffice::web::accounts::verify_password(
        &u.password_hash,
        "long enough pw"
    ));

    // A reset ends the sessions and changes the hash.
    store
        .create_session(&[9; 32], u.id, "c", 1)
        .expect("session");
    refused(
        &user(&db, &["reset-password", "--email", "you@shop.fr"], "tiny\n"),
        "too short",
    );
    ok(&user(
        &db,
        &["reset-password", "--email", "YOU@shop.fr"],
        "a brand new password\n",
    ));
    assert!(store.session(&[9; 32]).expect("get").is_none());
    let again = store
        .user_by_email("you@shop.fr")
        .expect("get")
        .expect("user");
    assert!(headoffice::web::accounts::verify_password(
        &again.password_hash,
        "a brand new password"
    ));
    refused(
        &user(
            &db,
            &["reset-password", "--email", "ghost@shop.fr"],
            "a brand new password\n",
        ),
        "no user with e-mail ghost@shop.fr",
    );

    ok(&user(&db, &["remove", "--email", "m1@shop.fr"], ""));
    refused(
        &user(&db, &["remove", "--email", "m1@shop.fr"], ""),
        "no user",
    );
    let actions: Vec<String> = store
        .audit_log(None, 10)
        .expect("audit")
        .into_iter()
        .map(|e| format!("{} {} {}", e.actor, e.action, e.details))
        .collect();
    assert_eq!(
        actions,
        [
            "cli AuditUserRemoved m1@shop.fr",
            "cli AuditPasswordReset you@shop.fr",
            "cli AuditUserAdded m1@shop.fr manager S1",
            "cli AuditUserAdded you@shop.fr owner",
        ]
    );
}

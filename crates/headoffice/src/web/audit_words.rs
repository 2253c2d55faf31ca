//! The audit log's details as a person reads them. Each change stores its
//! details in the words of the code that made it (`item=PAIN price=1.35
//! version=7`, `m1@shop.fr manager S1`, `#3 low_stock:PAIN T01 (...)`), so
//! the log stays the same whatever the reader's language; this module reads
//! them back at display time: keys named in the reader's language, money
//! and rates by [`Fmt`], roles and alert codes by their catalog words. What
//! it does not recognise is shown as stored.

use super::dash::{alert_detail, alert_name};
use comptoir_i18n::backoffice_rules::RulesMsg as R;
use comptoir_i18n::{Fmt, Lang, Template};
use rust_decimal::Decimal;

/// `details` of an audit entry whose action has the catalog key `action`.
pub fn details(action: &str, details: &str, lang: Lang) -> String {
    let f = Fmt::web(lang);
    match action {
        "AuditUserAdded" => user_added(details, lang).unwrap_or_else(|| details.to_string()),
        "AuditAlertAcknowledged" => alert_acked(details, &f).unwrap_or_else(|| details.to_string()),
        _ if details.contains('=') => pairs(details, &f),
        _ => details.to_string(),
    }
}

/// A role code (`owner`, `accountant`, `manager` of `store`) in words.
pub fn role(code: &str, store: Option<&str>, lang: Lang) -> Option<String> {
    Some(match code {
        "owner" => R::RoleOwner.text(lang),
        "accountant" => R::RoleAccountant.text(lang),
        "manager" => R::RoleManagerOf.fill(lang, &[("store", &store.unwrap_or("–"))]),
        _ => return None,
    })
}

/// `EMAIL ROLE [STORE]` (web::accounts::add_user).
fn user_added(d: &str, lang: Lang) -> Option<String> {
    let mut w = d.split_whitespace();
    let (email, code, store) = (w.next()?, w.next()?, w.next());
    let role = role(code, store, lang)?;
    Some(R::DetailUser.fill(lang, &[("email", &email), ("role", &role)]))
}

/// `#ID CODE TERMINAL (DETAIL)` (web::alerts::ack).
fn alert_acked(d: &str, f: &Fmt) -> Option<String> {
    let rest = d.strip_prefix('#')?;
    let (id, rest) = rest.split_once(' ')?;
    let (code, rest) = rest.split_once(' ')?;
    let (terminal, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let inner = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')'));
    let head = R::DetailAlert.fill(
        f.lang,
        &[
            ("id", &id),
            ("what", &alert_name(code, f.lang)),
            ("terminal", &terminal),
        ],
    );
    Some(match inner.filter(|s| !s.is_empty()) {
        Some(detail) => format!("{head} ({})", alert_detail(code, detail, f)),
        None => head,
    })
}

/// Words that open some details and name what the action column says already.
const OPENING_CODES: &[&str] = &["goods_received", "inventory_count", "transfer"];

/// `key=value key="quoted value" ...` with each key in words.
fn pairs(d: &str, f: &Fmt) -> String {
    let mut out = Vec::new();
    for token in tokens(d) {
        match token.split_once('=') {
            Some((k, v)) => match key_word(k) {
                Some(word) => out.push(format!("{} : {}", word.text(f.lang), value(k, v, f))),
                None => out.push(token.clone()),
            },
            None if OPENING_CODES.contains(&token.as_str()) => {}
            None => out.push(token.clone()),
        }
    }
    let sep = match f.lang {
        Lang::Fr | Lang::En => " · ",
    };
    let text = out.join(sep);
    match f.lang {
        // English has no space before the colon.
        Lang::En => text.replace(" : ", ": "),
        Lang::Fr => text,
    }
}

/// Splits on spaces, keeping `"..."` (with `\"` inside) in one token.
fn tokens(d: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in d.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ' ' && !quoted {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn key_word(k: &str) -> Option<R> {
    Some(match k {
        "item" => R::KeyItem,
        "name" => R::KeyName,
        "price" => R::KeyPrice,
        "vat_rate" => R::KeyVat,
        "unit" => R::KeyUnit,
        "barcodes" => R::KeyBarcodes,
        "min_qty" => R::KeyMinQty,
        "max_qty" => R::KeyMaxQty,
        "version" => R::KeyVersion,
        "store" => R::KeyStore,
        "stores" => R::KeyStores,
        "supplier" => R::KeySupplier,
        "reference" => R::KeyReference,
        "lines" => R::KeyLines,
        "op" => R::KeyOp,
        "rows" => R::KeyRows,
        "bytes" => R::KeyBytes,
        _ => return super::rules_form::field_label(k),
    })
}

fn dec(v: &str) -> Option<Decimal> {
    v.parse().ok()
}

fn value(k: &str, v: &str, f: &Fmt) -> String {
    let none = || R::NoValue.text(f.lang);
    if v.is_empty() || v == "-" {
        return none();
    }
    match k {
        "price" | "max_order_amount" | "cash_rounding" => {
            dec(v).map(|d| f.money(d)).unwrap_or_else(|| v.into())
        }
        "vat_rate" | "discount_threshold_percent" => {
            dec(v).map(|d| f.percent(d)).unwrap_or_else(|| v.into())
        }
        "unit" => match v {
            "Piece" | "piece" => R::UnitPiece.text(f.lang),
            "Kg" | "kg" => R::UnitKg.text(f.lang),
            _ => v.into(),
        },
        "stores" => v.replace('>', " → "),
        "barcodes" => v.replace('|', ", "),
        "lines" => v
            .split(',')
            .map(|l| match l.split_once('=') {
                Some((item, q)) => format!(
                    "{item} × {}",
                    dec(q)
                        .map(|q| comptoir_i18n::till_words::qty(f, q))
                        .unwrap_or_else(|| q.into())
                ),
                None => l.into(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => v.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each back-office change stores reads without a code word.
    #[test]
    fn stored_details_read_in_french() {
        let fr = Lang::Fr;
        let cases = [
            ("AuditUserAdded", "m1@shop.fr manager LYON", "m1@shop.fr : responsable du magasin LYON"),
            ("AuditUserAdded", "p@shop.fr owner", "p@shop.fr : propriétaire"),
            ("AuditUserAdded", "c@shop.fr accountant", "c@shop.fr : comptable"),
            (
                "AuditReceived",
                "goods_received op=abc stores=PARIS supplier=Moulin reference=- lines=10001=24,10002=1.5 version=5",
                "opération : abc · magasins : PARIS · fournisseur : Moulin · référence : aucun · lignes : 10001 × 24, 10002 × 1,5 · version : 5",
            ),
            (
                "AuditItemEdited",
                "item=10001 name=\"Baguette \\\"tradition\\\"\" price=1.35 vat_rate=5.5 unit=Piece barcodes=376|377 min_qty= max_qty=3 version=9",
                "article : 10001 · désignation : Baguette \"tradition\" · prix : 1,35\u{a0}€ · TVA : 5,5\u{a0}% · unité : pièce · codes-barres : 376, 377 · quantité minimale : aucun · quantité maximale : 3 · version : 9",
            ),
            ("AuditTransfer", "transfer op=x stores=PARIS>LYON supplier=- reference=- lines=A=2 version=3", "opération : x · magasins : PARIS → LYON · fournisseur : aucun · référence : aucun · lignes : A × 2 · version : 3"),
            ("AuditLogin", "127.0.0.1", "127.0.0.1"),
        ];
        for (action, stored, shown) in cases {
            assert_eq!(details(action, stored, fr), shown, "{action}");
        }
        let acked = details(
            "AuditAlertAcknowledged",
            "#12 low_stock:10001 T01 (3 < 5)",
            fr,
        );
        assert!(acked.starts_with("n° 12 : "), "{acked}");
        assert!(
            acked.contains("terminal T01") && !acked.contains("low_stock"),
            "{acked}"
        );
        for code in [
            "owner",
            "manager",
            "accountant",
            "goods_received",
            "vat_rate",
            "Piece",
        ] {
            for (action, stored, _) in cases {
                let text = details(action, stored, fr);
                assert!(!text.contains(code), "{code} in {text}");
            }
        }
    }

    #[test]
    fn english_reads_english() {
        assert_eq!(
            details("AuditUserAdded", "m1@shop.fr manager S1", Lang::En),
            "m1@shop.fr: manager of store S1"
        );
        assert_eq!(
            details(
                "AuditStorePrice",
                "item=PAIN store=S1 price=1.2 version=4",
                Lang::En
            ),
            "item: PAIN · store: S1 · price: €1.20 · version: 4"
        );
    }
}

//! The Rules page's form (`POST /regles`, owner only): the counter ruleset
//! set from the browser, as `headoffice rules set FILE.toml` does.
//!
//! Each amount and count has its field (empty: the till's own rule or the
//! default); each sales action a select of the role that may do it alone.
//! The customer groups and label patterns of the version in force are
//! carried over unchanged (they are set with the command line). Every key
//! is checked by `till_core`'s own [`Ruleset::validate`], key by key, so
//! each refused value is said in French next to its field, and nothing is
//! stored unless every key passes. A publication is the next version
//! (`GET /v1/rules` serves it to the tills), audited.
//!
//! Hooks for the browser tests: `form#rules`, inputs `#rule-KEY` (KEY as in
//! till.toml's `[rules]`: `max_order_amount`...), selects `#permission-ACTION`,
//! a refused field's message `#error-KEY`, `p#flash` / `p#form-error`, the
//! version in force `#ruleset-version[data-version]`.

use super::{audit, blocking, Posted, WebResult, Who};
use crate::http::AppState;
use crate::store::rules::Ruleset;
use crate::store::StoreError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_i18n::backoffice_rules::RulesMsg as R;
use comptoir_i18n::till::Till;
use comptoir_i18n::till_words::action_label;
use comptoir_i18n::{Fmt, Lang, Template};
use maud::{html, Markup};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::permissions::Permissions;

/// How a field reads: an amount (bounds and decimals) or a whole number.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Amount { lo: Decimal, hi: Decimal, dp: u32 },
    Whole { lo: u64, hi: u64 },
}

/// One field of the form: the ruleset key, its label, its bounds (for the
/// message only: the check is `Ruleset::validate`'s; a test keeps them equal).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub label: R,
    pub kind: Kind,
}

/// The fields, in the page's order.
pub fn fields() -> [Field; 7] {
    let amount = |lo: Decimal, hi: i64, dp| Kind::Amount {
        lo,
        hi: Decimal::from(hi),
        dp,
    };
    [
        Field {
            key: "max_order_amount",
            label: R::MaxOrderAmount,
            kind: amount(Decimal::new(1, 2), 1_000_000, 2),
        },
        Field {
            key: "anomaly_factor",
            label: R::AnomalyFactor,
            kind: amount(Decimal::new(11, 1), 100, 2),
        },
        Field {
            key: "anomaly_min_sales",
            label: R::AnomalyMinSales,
            kind: Kind::Whole { lo: 1, hi: 100_000 },
        },
        Field {
            key: "anomaly_days",
            label: R::AnomalyDays,
            kind: Kind::Whole { lo: 1, hi: 366 },
        },
        Field {
            key: "cash_rounding",
            label: R::CashRounding,
            kind: amount(Decimal::new(1, 2), 1, 2),
        },
        Field {
            key: "discount_threshold_percent",
            label: R::DiscountThreshold,
            kind: amount(Decimal::ZERO, 100, 2),
        },
        Field {
            key: "drawer_left_open_seconds",
            label: R::DrawerOpenSeconds,
            kind: Kind::Whole { lo: 5, hi: 3600 },
        },
    ]
}

/// A ruleset key's label (for the audit log's details too).
pub fn field_label(key: &str) -> Option<R> {
    match key {
        "permissions" => return Some(R::Permissions),
        "customer_groups" => return Some(R::CustomerGroups),
        "label_patterns" => return Some(R::LabelPatterns),
        _ => {}
    }
    fields().into_iter().find(|f| f.key == key).map(|f| f.label)
}

/// The value of `key` in `r`.
pub fn get(r: &Ruleset, key: &str) -> Option<Decimal> {
    match key {
        "max_order_amount" => r.max_order_amount,
        "anomaly_factor" => r.anomaly_factor,
        "anomaly_min_sales" => r.anomaly_min_sales.map(Decimal::from),
        "anomaly_days" => r.anomaly_days.map(Decimal::from),
        "cash_rounding" => r.cash_rounding,
        "discount_threshold_percent" => r.discount_threshold_percent,
        "drawer_left_open_seconds" => r.drawer_left_open_seconds.map(Decimal::from),
        _ => None,
    }
}

/// Sets `key` of `r`; `Err` when a whole number is asked and `v` is not one
/// that fits.
fn set(r: &mut Ruleset, key: &str, v: Option<Decimal>) -> Result<(), ()> {
    let whole = |v: Option<Decimal>| -> Result<Option<u64>, ()> {
        match v {
            None => Ok(None),
            Some(d) if d.fract().is_zero() => u64::try_from(d).map(Some).map_err(|_| ()),
            Some(_) => Err(()),
        }
    };
    match key {
        "max_order_amount" => r.max_order_amount = v,
        "anomaly_factor" => r.anomaly_factor = v,
        "anomaly_min_sales" => r.anomaly_min_sales = whole(v)?,
        "anomaly_days" => {
            r.anomaly_days = whole(v)?.map(u32::try_from).transpose().map_err(|_| ())?
        }
        "cash_rounding" => r.cash_rounding = v,
        "discount_threshold_percent" => r.discount_threshold_percent = v,
        "drawer_left_open_seconds" => r.drawer_left_open_seconds = whole(v)?,
        _ => return Err(()),
    }
    Ok(())
}

/// A figure as typed: spaces (no-break ones too) ignored, a decimal comma.
fn parse(text: &str) -> Option<Decimal> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    t.parse().ok()
}

/// A value as the form shows it (`3,5`, `1000`).
pub fn shown(v: Decimal, lang: Lang) -> String {
    let v = v.normalize();
    match lang {
        Lang::Fr => v.to_string().replace('.', ","),
        Lang::En => v.to_string(),
    }
}

fn range_message(kind: Kind, l: Lang) -> String {
    let f = Fmt::web(l);
    match kind {
        Kind::Amount { lo, hi, dp } => R::OutOfRange.fill(
            l,
            &[
                ("lo", &shown(lo, l)),
                ("hi", &f.number(hi, 0)),
                ("decimals", &dp),
            ],
        ),
        Kind::Whole { lo, hi } => {
            R::OutOfRangeWhole.fill(l, &[("lo", &f.count(lo)), ("hi", &f.count(hi))])
        }
    }
}

/// What the owner typed, checked: the ruleset to publish, or the message
/// of each refused field (by field name) and nothing to publish.
pub fn check(
    typed: &[(String, String)],
    current: Option<&Ruleset>,
    l: Lang,
) -> Result<Ruleset, BTreeMap<String, String>> {
    let get_typed = |k: &str| {
        typed
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let mut errors = BTreeMap::new();
    // Carried over: what this form does not edit.
    let mut out = Ruleset {
        customer_groups: current
            .map(|r| r.customer_groups.clone())
            .unwrap_or_default(),
        label_patterns: current.and_then(|r| r.label_patterns.clone()),
        ..Ruleset::default()
    };
    for f in fields() {
        let text = get_typed(f.key);
        if text.is_empty() {
            continue;
        }
        let Some(v) = parse(text) else {
            errors.insert(
                f.key.to_string(),
                R::NotANumber.fill(l, &[("value", &text)]),
            );
            continue;
        };
        // Alone in a ruleset, the key is checked by till_core's own bounds.
        let mut alone = Ruleset::default();
        let ok = set(&mut alone, f.key, Some(v)).is_ok() && alone.validate().is_ok();
        if ok {
            let _ = set(&mut out, f.key, Some(v));
        } else {
            errors.insert(f.key.to_string(), range_message(f.kind, l));
        }
    }
    for action in Permissions::configurable_names() {
        let name = format!("permission.{action}");
        let level = get_typed(&name);
        if level.is_empty() {
            continue;
        }
        let one: BTreeMap<String, String> = [(action.to_string(), level.to_string())].into();
        if Permissions::from_names(&one).is_ok() {
            out.permissions.extend(one);
        } else {
            errors.insert(name, R::BadPermission.text(l));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Every key passed alone; what is carried over is checked with them.
    if let Err(e) = out.validate() {
        let why = R::InvalidOther.fill(l, &[("why", &e.to_string())]);
        return Err(BTreeMap::from([(String::new(), why)]));
    }
    Ok(out)
}

/// The form, filled with `values` (what was typed, or the version in force).
pub fn form(
    user: &super::User,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
) -> Markup {
    let l = user.lang;
    let levels = [
        ("cashier", Till::RoleCashier),
        ("supervisor", Till::RoleSupervisor),
        ("manager", Till::RoleManager),
    ];
    html! {
        section.card {
            h2 { (R::FormTitle.text(l)) }
            p.muted { (R::FormNote.text(l)) }
            @if !errors.is_empty() {
                p.bad #form-error role="alert" {
                    (R::Refused.text(l))
                    @if let Some(m) = errors.get("") { " " (m) }
                }
            }
            form #rules.stack method="post" action="/regles" {
                (user.csrf_field())
                h3 { (R::SectionLimits.text(l)) }
                div.fields {
                    @for f in fields() {
                        @let id = format!("rule-{}", f.key);
                        @let err = errors.get(f.key);
                        div.field {
                            label for=(id) { (f.label.text(l)) }
                            input #(id) name=(f.key) inputmode="decimal" autocomplete="off"
                                aria-invalid=[err.map(|_| "true")]
                                aria-describedby=[err.map(|_| format!("error-{}", f.key))]
                                value=(values.get(f.key).map(String::as_str).unwrap_or(""));
                            @if let Some(m) = err {
                                p.field-error id={ "error-" (f.key) } { (m) }
                            }
                        }
                    }
                }
                h3 { (R::SectionPermissions.text(l)) }
                p.muted { (R::PermissionsNote.text(l)) }
                div.fields {
                    @for action in Permissions::configurable_names() {
                        @let name = format!("permission.{action}");
                        @let id = format!("permission-{action}");
                        @let chosen = values.get(&name).map(String::as_str).unwrap_or("");
                        div.field {
                            label for=(id) {
                                @match action_label(action) { Some(m) => (m.text(l)), None => (action) }
                            }
                            select #(id) name=(name) {
                                option value="" selected[chosen.is_empty()] { (R::BuiltIn.text(l)) }
                                @for (code, word) in levels {
                                    option value=(code) selected[chosen == code] { (word.text(l)) }
                                }
                            }
                            @if let Some(m) = errors.get(&name) {
                                p.field-error id={ "error-" (name) } { (m) }
                            }
                        }
                    }
                }
                p.muted { (R::KeptNote.text(l)) }
                button.btn type="submit" { (R::Publish.text(l)) }
            }
        }
    }
}

/// The form's values for the version in force.
pub fn values_of(r: Option<&Ruleset>, l: Lang) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(r) = r else { return out };
    for f in fields() {
        if let Some(v) = get(r, f.key) {
            out.insert(f.key.to_string(), shown(v, l));
        }
    }
    for (action, level) in &r.permissions {
        out.insert(format!("permission.{action}"), level.clone());
    }
    out
}

/// `POST /regles`: publishes the next version (owner), or shows the form
/// again with each refused field said (400, nothing stored).
pub async fn submit(
    State(app): State<AppState>,
    p: Posted<Vec<(String, String)>>,
) -> WebResult<Response> {
    let Posted { user, form: typed } = p;
    user.require(Who::Owner)?;
    let l = user.lang;
    let store = app.store.clone();
    let current = blocking(l, move || store.ruleset_since(0)).await?;
    let checked = check(&typed, current.as_ref().map(|r| &r.rules), l);
    let rules = match checked {
        Ok(r) => r,
        Err(errors) => return refuse(&app, &user, &typed, errors).await,
    };
    let store = app.store.clone();
    let by = user.email.clone();
    let stored = {
        let rules = rules.clone();
        blocking(l, move || match store.set_ruleset(&rules, &by) {
            Err(StoreError::Invalid(m)) => Ok(Err(m)),
            other => other.map(Ok),
        })
        .await?
    };
    let version = match stored {
        Ok(v) => v,
        Err(why) => {
            let errors = [(String::new(), R::InvalidOther.fill(l, &[("why", &why)]))].into();
            return refuse(&app, &user, &typed, errors).await;
        }
    };
    audit::audit(
        &app,
        &user,
        R::AuditRulesSet,
        audit_details(version, &rules),
    )
    .await?;
    Ok(Redirect::to(&format!("/regles?publiee={version}")).into_response())
}

/// `version=N key=value ...` (read back in words by `audit_words`).
fn audit_details(version: u64, r: &Ruleset) -> String {
    let mut d = format!("version={version}");
    for f in fields() {
        if let Some(v) = get(r, f.key) {
            d.push_str(&format!(" {}={}", f.key, v.normalize()));
        }
    }
    if !r.permissions.is_empty() {
        d.push_str(&format!(" permissions={}", r.permissions.len()));
    }
    d
}

async fn refuse(
    app: &AppState,
    user: &super::User,
    typed: &[(String, String)],
    errors: BTreeMap<String, String>,
) -> WebResult<Response> {
    let values: BTreeMap<String, String> = typed
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let page = super::rules::render(app, user, Some((values, errors)), None).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounds the messages state are `Ruleset::validate`'s: each bound
    /// passes, one step beyond it is refused.
    #[test]
    fn the_stated_bounds_are_the_validators() {
        for f in fields() {
            let (lo, hi, step) = match f.kind {
                Kind::Amount { lo, hi, dp } => (lo, hi, Decimal::new(1, dp)),
                Kind::Whole { lo, hi } => (Decimal::from(lo), Decimal::from(hi), Decimal::ONE),
            };
            let passes = |v: Decimal| {
                let mut r = Ruleset::default();
                set(&mut r, f.key, Some(v)).is_ok() && r.validate().is_ok()
            };
            assert!(passes(lo) && passes(hi), "{}", f.key);
            assert!(!passes(hi + step), "{} above {hi}", f.key);
            if lo >= step {
                assert!(!passes(lo - step), "{} below {lo}", f.key);
            }
        }
    }

    #[test]
    fn each_refused_key_is_named_and_nothing_passes() {
        let typed = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let e = check(
            &typed(&[
                ("max_order_amount", "750"),
                ("cash_rounding", "2"),
                ("anomaly_days", "douze"),
                ("anomaly_min_sales", "1,5"),
                ("permission.refund", "boss"),
            ]),
            None,
            Lang::Fr,
        )
        .unwrap_err();
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "anomaly_days",
                "anomaly_min_sales",
                "cash_rounding",
                "permission.refund"
            ]
        );
        assert_eq!(e["cash_rounding"], "Entre 0,01 et 1, au plus 2 décimales.");
        assert_eq!(e["anomaly_days"], "« douze » n'est pas un nombre.");

        let current = Ruleset {
            label_patterns: Some(vec!["21.....{WWWWW}".into()]),
            max_order_amount: Some(Decimal::from(100)),
            ..Ruleset::default()
        };
        let r = check(
            &typed(&[
                ("max_order_amount", "1 250,50"),
                ("anomaly_factor", "3,5"),
                ("permission.refund", "supervisor"),
                ("csrf", "x"),
            ]),
            Some(&current),
            Lang::Fr,
        )
        .expect("valid");
        assert_eq!(r.max_order_amount, Some(Decimal::new(125050, 2)));
        assert_eq!(r.anomaly_factor, Some(Decimal::new(35, 1)));
        assert_eq!(r.permissions["refund"], "supervisor");
        assert_eq!(r.label_patterns, current.label_patterns, "carried over");
        // An empty field unsets the key.
        let r = check(
            &typed(&[("max_order_amount", "")]),
            Some(&current),
            Lang::Fr,
        )
        .expect("valid");
        assert_eq!(r.max_order_amount, None);
    }
}

use super::*;
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn business() -> Customer {
    Customer {
        number: "C001".into(),
        kind: CustomerKind::Business,
        name: "Électricité de France".into(),
        siren: None,
        siret: None,
        vat_number: Some("fr 03 552081317".into()),
        address: Some("22-30 avenue de Wagram\n75008 Paris".into()),
        email: Some("compta@example.fr".into()),
        phone: Some("+33 1 40 42 22 22".into()),
        terms: PaymentTerms::Net(30),
        credit_limit: dec!(5000),
        group: Some("pro".into()),
        status: AccountStatus::Open,
        loyalty_card: None,
    }
}

#[test]
fn a_business_is_normalised_and_checked() {
    let mut c = business();
    c.siret = Some("732 829 320 00074".into());
    let e = c.clone().checked().err();
    assert_eq!(
        e.map(|e| e.field),
        Some("vat_number"),
        "VAT of another SIREN"
    );
    c.vat_number = fr_vat_of("732829320");
    let ok = c.checked().ok();
    assert_eq!(
        ok.as_ref().and_then(|c| c.siren.as_deref()),
        Some("732829320"),
        "the SIREN is taken from the SIRET"
    );
    assert_eq!(
        ok.as_ref().and_then(|c| c.siret.as_deref()),
        Some("73282932000074")
    );
}

fn fr_vat_of(siren: &str) -> Option<String> {
    ids::fr_vat_number(siren)
}

#[test]
fn each_field_is_named_when_wrong() {
    let cases: Vec<(&str, Box<dyn Fn(&mut Customer)>)> = vec![
        ("number", Box::new(|c| c.number = "C 1".into())),
        ("name", Box::new(|c| c.name = "  ".into())),
        ("siren", Box::new(|c| c.siren = Some("552081318".into()))),
        (
            "siret",
            Box::new(|c| c.siret = Some("73282932000075".into())),
        ),
        (
            "vat_number",
            Box::new(|c| c.vat_number = Some("FR04552081317".into())),
        ),
        ("email", Box::new(|c| c.email = Some("compta@".into()))),
        ("phone", Box::new(|c| c.phone = Some("12".into()))),
        ("terms", Box::new(|c| c.terms = PaymentTerms::Net(61))),
        ("credit_limit", Box::new(|c| c.credit_limit = dec!(-1))),
        ("credit_limit", Box::new(|c| c.credit_limit = dec!(0.001))),
        (
            "loyalty_card",
            Box::new(|c| c.loyalty_card = Some("12 34".into())),
        ),
        ("kind", Box::new(|c| c.kind = CustomerKind::Consumer)),
    ];
    for (field, change) in cases {
        let mut c = business();
        change(&mut c);
        assert_eq!(c.checked().err().map(|e| e.field), Some(field));
    }
    assert!(business().checked().is_ok());
}

#[test]
fn terms_codes_and_ceilings() {
    for t in [
        PaymentTerms::Cash,
        PaymentTerms::Net(30),
        PaymentTerms::Net(60),
        PaymentTerms::EndOfMonth45,
    ] {
        assert_eq!(PaymentTerms::parse(&t.code()), Some(t));
        assert!(t.check().is_ok());
    }
    assert!(PaymentTerms::Net(61).check().is_err());
    assert!(PaymentTerms::Net(0).check().is_err());
    assert_eq!(PaymentTerms::parse("net"), None);
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    assert_eq!(
        PaymentTerms::Net(30).due_date(d(2026, 1, 15)),
        d(2026, 2, 14)
    );
    // 15 January + 45 days = 1 March, then the end of March.
    assert_eq!(
        PaymentTerms::EndOfMonth45.due_date(d(2026, 1, 15)),
        d(2026, 3, 31)
    );
    assert_eq!(
        PaymentTerms::EndOfMonth45.due_date(d(2026, 11, 30)),
        d(2027, 1, 31)
    );
}

#[test]
fn account_decisions() {
    use AccountDecision::*;
    assert_eq!(
        account_check(AccountStatus::Open, dec!(100), dec!(100)),
        Accept
    );
    assert_eq!(
        account_check(AccountStatus::Open, dec!(100), dec!(100.01)),
        NeedsApproval(AccountIssue::OverLimit {
            amount: dec!(100.01),
            available: dec!(100)
        })
    );
    assert_eq!(
        account_check(AccountStatus::OnHold, dec!(100), dec!(1)),
        NeedsApproval(AccountIssue::OnHold)
    );
    assert_eq!(
        account_check(AccountStatus::InCollection, dec!(1000), dec!(1)),
        RefuseInCollection
    );
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, n)
        .prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
}

/// Appends the Luhn key to `body`.
fn with_key(body: &str) -> String {
    (0..10)
        .map(|k| format!("{body}{k}"))
        .find(|s| ids::luhn_ok(s))
        .unwrap_or_default()
}

proptest! {
    #[test]
    fn exactly_one_luhn_key_per_body(body in digits(8)) {
        let ok = (0..10).filter(|k| ids::siren_ok(&format!("{body}{k}"))).count();
        prop_assert_eq!(ok, 1);
    }

    #[test]
    fn one_digit_changed_is_caught(body in digits(13), pos in 0usize..14, bump in 1u8..10) {
        let siret = with_key(&body);
        prop_assume!(!siret.starts_with("356000000"));
        prop_assert!(ids::siret_ok(&siret));
        let mut b = siret.into_bytes();
        b[pos] = b'0' + (b[pos] - b'0' + bump) % 10;
        let changed = String::from_utf8(b).unwrap_or_default();
        prop_assert!(!ids::siret_ok(&changed));
    }

    #[test]
    fn french_vat_numbers_check(body in digits(8), wrong in 1u32..97) {
        let siren = with_key(&body);
        let vat = ids::fr_vat_number(&siren).unwrap_or_default();
        prop_assert_eq!(ids::vat_check(&vat), Ok(()));
        let key = ids::fr_vat_key(&siren).unwrap_or(0);
        let bad = format!("FR{:02}{siren}", (key + wrong) % 97);
        prop_assert_eq!(ids::vat_check(&bad), Err(ids::VatError::FrenchKey));
    }

    #[test]
    fn available_credit_is_never_negative_and_adds_up(
        limit in 0i64..10_000_000_00, owed in -1_000_000_00i64..20_000_000_00,
        unsynced in 0i64..10_000_000_00, amount in 1i64..10_000_000_00,
    ) {
        let (limit, owed) = (Decimal::new(limit, 2), Decimal::new(owed, 2));
        let (unsynced, amount) = (Decimal::new(unsynced, 2), Decimal::new(amount, 2));
        let avail = available_credit(limit, owed);
        prop_assert!(avail >= Decimal::ZERO && avail <= limit.max(limit - owed));
        if owed >= Decimal::ZERO && owed <= limit {
            prop_assert_eq!(avail + owed, limit);
        }
        let offline = available_offline(avail, unsynced);
        prop_assert!(offline <= avail && offline >= Decimal::ZERO);
        // Whatever is accepted keeps the till's own sales within the limit.
        if account_check(AccountStatus::Open, offline, amount) == AccountDecision::Accept {
            prop_assert!(unsynced + amount <= avail);
        }
    }

    #[test]
    fn net_terms_within_the_ceiling(n in 0u16..400) {
        let ok = PaymentTerms::Net(n).check().is_ok();
        prop_assert_eq!(ok, (1..=60).contains(&n));
    }
}

//! Property tests: arithmetic invariants of arbitrary baskets, refunds that net
//! to zero, and no panic on any sequence of operations.

use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::auth::{Role, User};
use till_core::basket::{Basket, BasketConfig, Discount};
use till_core::catalog::{Catalog, Item, PurchaseRules};
use till_core::records::{CardOutcome, SaleRecord, SaleRef, TenderKind, TenderRecord, Unit};
use till_core::refund::{self, AlreadyRefunded, Reversal};
use till_core::vat::VatRate;

fn user(id: &str, role: Role) -> User {
    User {
        id: id.into(),
        name: id.into(),
        role,
        pin_hash: String::new(),
    }
}

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
}

fn sale_ref() -> SaleRef {
    SaleRef {
        terminal_id: "T01".into(),
        seq: 1,
        sale_no: "T01-1".into(),
    }
}

#[derive(Debug, Clone)]
struct LineSpec {
    price_cents: i64,
    rate: usize,
    kg: bool,
    qty: i64,                      // pieces, or grams
    discount: Option<(bool, i64)>, // (percent?, value: percent x100 or cents)
}

fn line_spec() -> impl Strategy<Value = LineSpec> {
    (
        0i64..200_000,
        0usize..5,
        any::<bool>(),
        1i64..5_000,
        proptest::option::of((any::<bool>(), 0i64..10_000)),
    )
        .prop_map(|(price_cents, rate, kg, qty, discount)| LineSpec {
            price_cents,
            rate,
            kg,
            qty: if kg { qty } else { qty % 20 + 1 },
            discount,
        })
}

const RATES: [i64; 5] = [0, 210, 550, 1000, 2000];

fn discount((percent, v): (bool, i64)) -> Discount {
    if percent {
        Discount::Percent(Decimal::new(v, 2))
    } else {
        Discount::Amount(Decimal::new(v, 2))
    }
}

/// Builds a supervisor's basket (no approvals needed) from the specs.
fn basket(
    specs: &[LineSpec],
    basket_discount: Option<(bool, i64)>,
    rounding: bool,
) -> (Basket, Catalog) {
    let items: Vec<Item> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| Item {
            id: format!("I{i}"),
            barcodes: vec![],
            name: format!("Item {i}"),
            price: Decimal::new(s.price_cents, 2),
            vat_rate: VatRate::percent(Decimal::new(RATES[s.rate], 2))
                .unwrap_or_else(|_| unreachable!("rates are valid")),
            unit: if s.kg { Unit::Kg } else { Unit::Piece },
            stock_tracked: true,
            meal_voucher: false,
            rules: PurchaseRules::default(),
        })
        .collect();
    let catalog = Catalog::new(items, vec![]).expect("unique ids");
    let config = BasketConfig {
        cash_rounding_step: rounding.then(|| Decimal::new(5, 2)),
        ..BasketConfig::default()
    };
    let mut b = Basket::new(config, &user("s1", Role::Supervisor));
    for (i, s) in specs.iter().enumerate() {
        let q = if s.kg {
            Decimal::new(s.qty, 3)
        } else {
            Decimal::from(s.qty)
        };
        let n = b
            .add_code(&catalog, &format!("I{i}"), Some(q))
            .expect("valid line");
        if let Some(d) = s.discount {
            // Amount discounts above the line's gross are refused: fine.
            let _ = b.set_line_discount(n, Some(discount(d)));
        }
    }
    if let Some(d) = basket_discount {
        let _ = b.set_basket_discount(Some(discount(d)));
    }
    (b, catalog)
}

fn card(amount: Decimal) -> TenderRecord {
    TenderRecord {
        kind: TenderKind::Card,
        amount,
        reference: None,
        card: Some(CardOutcome {
            approved: true,
            masked_pan: None,
            auth_code: None,
            scheme: None,
            read_mode: None,
            terminal_reference: None,
        }),
    }
}

/// Pays with the given non-cash kinds (each a fraction of what remains), then
/// cash for the rest plus some extra.
fn pay(b: &mut Basket, tenders: &[(u8, u8)], extra_cents: i64) {
    for &(kind, pct) in tenders {
        let remaining = b.payment_status().remaining;
        let amount = (remaining * Decimal::from(pct) / Decimal::from(100)).round_dp(2);
        if amount <= Decimal::ZERO {
            continue;
        }
        let r = match kind % 5 {
            0 => b.pay(card(amount)),
            1 => b.pay_on_account(amount, "CUST", Decimal::from(1_000_000)),
            k => b.pay(TenderRecord {
                kind: [TenderKind::Cheque, TenderKind::Voucher, TenderKind::EWallet]
                    [usize::from(k - 2)],
                amount,
                reference: Some("ref".into()),
                card: None,
            }),
        };
        r.expect("a non-cash tender within what remains is accepted");
    }
    let remaining = b.payment_status().remaining;
    if remaining > Decimal::ZERO {
        // Cash rounding may lower what is due once cash joins: pay generously.
        b.pay_cash(remaining + Decimal::new(extra_cents, 2))
            .expect("cash is accepted");
    }
}

/// Net per tender kind, change taken from cash; cheques paid back in cash on
/// refunds, so they are counted with cash.
fn net_tenders(records: &[&SaleRecord], merge_cheque: bool) -> BTreeMap<TenderKind, Decimal> {
    let mut m = BTreeMap::new();
    for r in records {
        for t in &r.tenders {
            let k = if merge_cheque && t.kind == TenderKind::Cheque {
                TenderKind::Cash
            } else {
                t.kind
            };
            *m.entry(k).or_insert(Decimal::ZERO) += t.amount;
        }
        *m.entry(TenderKind::Cash).or_insert(Decimal::ZERO) -= r.change;
    }
    m
}

fn assert_zero_sum(records: &[&SaleRecord], merge_cheque: bool) -> Result<(), TestCaseError> {
    let due: Decimal = records.iter().map(|r| r.due()).sum();
    prop_assert_eq!(due, Decimal::ZERO);
    let total: Decimal = records.iter().map(|r| r.total).sum();
    prop_assert_eq!(total, -records.iter().map(|r| r.rounding).sum::<Decimal>());
    for (k, v) in net_tenders(records, merge_cheque) {
        prop_assert_eq!(v, Decimal::ZERO, "tender {:?}", k);
    }
    Ok(())
}

fn assert_vat_zero(records: &[&SaleRecord]) -> Result<(), TestCaseError> {
    let mut per_rate: BTreeMap<VatRate, (Decimal, Decimal, Decimal)> = BTreeMap::new();
    for r in records {
        for v in &r.vat {
            let e = per_rate.entry(v.rate).or_default();
            e.0 += v.base;
            e.1 += v.tax;
            e.2 += v.total;
        }
    }
    for (rate, (base, tax, total)) in per_rate {
        prop_assert_eq!(
            (base, tax, total),
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
            "rate {}",
            rate
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn sales_add_up(
        specs in proptest::collection::vec(line_spec(), 1..8),
        bd in proptest::option::of((any::<bool>(), 0i64..10_000)),
        rounding in any::<bool>(),
        tenders in proptest::collection::vec((any::<u8>(), 0u8..=100), 0..4),
        extra in 0i64..5_000,
    ) {
        let (mut b, _) = basket(&specs, bd, rounding);
        let t = b.totals();
        prop_assert_eq!(t.lines.iter().map(|l| l.total).sum::<Decimal>(), t.total);
        for l in &t.lines {
            prop_assert_eq!(l.gross - l.line_discount - l.basket_discount, l.total);
            prop_assert!(l.total >= Decimal::ZERO);
        }
        prop_assert_eq!(t.lines.iter().map(|l| l.basket_discount).sum::<Decimal>(), t.basket_discount);
        pay(&mut b, &tenders, extra);
        let r = b.complete("T01-1", day(), "s1").expect("fully paid");
        prop_assert_eq!(r.check(), Ok(()));
        let vat_total: Decimal = r.vat.iter().map(|v| v.total).sum();
        prop_assert_eq!(vat_total, r.total);
        for v in &r.vat {
            prop_assert_eq!(v.base + v.tax, v.total);
        }
        let paid: Decimal = r.tenders.iter().map(|t| t.amount).sum();
        prop_assert_eq!(paid - r.change, r.total + r.rounding);
        let cash: Decimal = r.tenders.iter().filter(|t| t.kind == TenderKind::Cash).map(|t| t.amount).sum();
        prop_assert!(r.change <= cash, "change only from cash");
        if r.tenders.iter().any(|t| t.kind != TenderKind::Cash) {
            prop_assert_eq!(r.rounding, Decimal::ZERO);
        }
        // A round trip through JSON (the journal's payload) changes nothing.
        let back: SaleRecord = serde_json::from_slice(&serde_json::to_vec(&r).unwrap_or_default())
            .expect("decodes");
        prop_assert_eq!(back, r);
    }

    #[test]
    fn full_refund_and_cancellation_net_to_zero(
        specs in proptest::collection::vec(line_spec(), 1..8),
        bd in proptest::option::of((any::<bool>(), 0i64..10_000)),
        rounding in any::<bool>(),
        tenders in proptest::collection::vec((any::<u8>(), 0u8..=100), 0..4),
        extra in 0i64..5_000,
    ) {
        let (mut b, _) = basket(&specs, bd, rounding);
        pay(&mut b, &tenders, extra);
        let o = b.complete("T01-1", day(), "s1").expect("fully paid");
        let ctx = Reversal::new("T01-2", day(), &user("s1", Role::Supervisor));
        let none = AlreadyRefunded::default();
        let r = refund::refund_all(&o, sale_ref(), &ctx, &none).expect("refundable");
        prop_assert_eq!(r.check(), Ok(()));
        assert_zero_sum(&[&o, &r], true)?;
        assert_vat_zero(&[&o, &r])?;
        let c = refund::cancel(&o, sale_ref(), &ctx, &none).expect("cancellable");
        assert_zero_sum(&[&o, &c], false)?;
        assert_vat_zero(&[&o, &c])?;
    }

    #[test]
    fn partial_refunds_then_the_rest_net_to_zero(
        specs in proptest::collection::vec(line_spec(), 1..6),
        bd in proptest::option::of((any::<bool>(), 0i64..10_000)),
        tenders in proptest::collection::vec((any::<u8>(), 0u8..=100), 0..4),
        picks in proptest::collection::vec((0usize..6, 1i64..4_000), 1..6),
    ) {
        let (mut b, _) = basket(&specs, bd, false);
        pay(&mut b, &tenders, 0);
        let o = b.complete("T01-1", day(), "s1").expect("fully paid");
        let ctx = Reversal::new("T01-2", day(), &user("s1", Role::Supervisor));
        let mut done: Vec<SaleRecord> = Vec::new();
        for (line, amount) in picks {
            let Some(l) = o.lines.get(line % o.lines.len()) else { continue };
            let q = if l.unit == Unit::Kg { Decimal::new(amount, 3) } else { Decimal::from(amount % 3 + 1) };
            let already = AlreadyRefunded::from_refunds(done.iter());
            // Asking for more than is left is a typed error, never a panic.
            if let Ok(r) = refund::refund_lines(&o, sale_ref(), &[(l.line_no, q)], &ctx, &already) {
                prop_assert_eq!(r.check(), Ok(()));
                done.push(r);
            }
        }
        let already = AlreadyRefunded::from_refunds(done.iter());
        if let Ok(last) = refund::refund_all(&o, sale_ref(), &ctx, &already) {
            done.push(last);
        }
        let mut all: Vec<&SaleRecord> = vec![&o];
        all.extend(done.iter());
        assert_zero_sum(&all, true)?;
        // Every line is refunded exactly: quantity, gross and total.
        for l in &o.lines {
            let back: (Decimal, Decimal) = done.iter().flat_map(|r| &r.lines)
                .filter(|x| x.line_no == l.line_no)
                .fold((Decimal::ZERO, Decimal::ZERO), |a, x| (a.0 + x.quantity, a.1 + x.total));
            prop_assert_eq!(back, (-l.quantity, -l.total));
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Add(String, Option<Decimal>),
    SetQty(u32, Decimal),
    LineDiscount(u32, Option<Discount>),
    BasketDiscount(Option<Discount>),
    Override(u32, Decimal),
    Void(u32),
    Pay(u8, Decimal),
    RemoveTender(usize),
    Approve,
    Complete,
    Refund(u32, Decimal),
}

fn wild_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0u32..=28).prop_map(|(n, s)| Decimal::new(n, s)),
        (-1_000_000i64..1_000_000, 0u32..4).prop_map(|(n, s)| Decimal::new(n, s)),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::ZERO),
    ]
}

fn wild_code() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("I0".to_string()),
        Just("I1".to_string()),
        Just("3017620422003".to_string()),
        Just("2012345012344".to_string()),
        Just("]C101030176204220031726063010L42".to_string()),
        "[0-9]{8,14}",
        ".{0,20}",
        "\\]C1[0-9\u{1d}]{0,30}",
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let discount = proptest::option::of(prop_oneof![
        wild_decimal().prop_map(Discount::Percent),
        wild_decimal().prop_map(Discount::Amount),
    ]);
    prop_oneof![
        (wild_code(), proptest::option::of(wild_decimal())).prop_map(|(c, q)| Op::Add(c, q)),
        (0u32..6, wild_decimal()).prop_map(|(l, q)| Op::SetQty(l, q)),
        (0u32..6, discount.clone()).prop_map(|(l, d)| Op::LineDiscount(l, d)),
        discount.prop_map(Op::BasketDiscount),
        (0u32..6, wild_decimal()).prop_map(|(l, p)| Op::Override(l, p)),
        (0u32..6).prop_map(Op::Void),
        (any::<u8>(), wild_decimal()).prop_map(|(k, a)| Op::Pay(k, a)),
        (0usize..4).prop_map(Op::RemoveTender),
        Just(Op::Approve),
        Just(Op::Complete),
        (0u32..6, wild_decimal()).prop_map(|(l, q)| Op::Refund(l, q)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn no_operation_panics(
        ops in proptest::collection::vec(op(), 1..40),
        specs in proptest::collection::vec(line_spec(), 2..4),
        avg in proptest::option::of(wild_decimal()),
    ) {
        let (_, catalog) = basket(&specs, None, false);
        let mut b = Basket::new(BasketConfig { cash_rounding_step: Some(Decimal::new(5, 2)), ..BasketConfig::default() }, &user("c1", Role::Cashier));
        b.rolling_average = avg;
        let sup = user("s1", Role::Supervisor);
        let mut last_err = None;
        let mut completed: Option<SaleRecord> = None;
        for op in ops {
            let r = match op {
                Op::Add(code, q) => b.add_code(&catalog, &code, q).map(|_| ()),
                Op::SetQty(l, q) => b.set_quantity(l, q),
                Op::LineDiscount(l, d) => b.set_line_discount(l, d),
                Op::BasketDiscount(d) => b.set_basket_discount(d),
                Op::Override(l, p) => b.override_price(l, p),
                Op::Void(l) => b.void_line(l),
                Op::Pay(k, a) => {
                    let kind = TenderKind::ALL[usize::from(k) % TenderKind::ALL.len()];
                    if kind == TenderKind::CustomerAccount {
                        b.pay_on_account(a, "C", Decimal::from(100)).map(|_| ())
                    } else {
                        b.pay(TenderRecord { kind, amount: a, reference: None, card: None }).map(|_| ())
                    }
                }
                Op::RemoveTender(i) => b.remove_tender(i).map(|_| ()),
                Op::Approve => {
                    if let Some(till_core::SaleError::ApprovalRequired(req)) = &last_err {
                        if let Ok(rec) = till_core::auth::approve(req, &sup, &user("c1", Role::Cashier)) {
                            b.add_approval(rec);
                        }
                    }
                    Ok(())
                }
                Op::Complete => b.complete("T01-9", day(), "c1").map(|r| {
                    completed = Some(r);
                }),
                Op::Refund(l, q) => match &completed {
                    Some(o) => {
                        let ctx = Reversal::new("T01-10", day(), &sup);
                        refund::refund_lines(o, sale_ref(), &[(l, q)], &ctx, &AlreadyRefunded::default()).map(|r| {
                            assert_eq!(r.check(), Ok(()));
                        })
                    }
                    None => Ok(()),
                },
            };
            if let Err(e) = r {
                last_err = Some(e);
            }
            // Whatever happened, the basket still adds up and still serialises.
            let t = b.totals();
            prop_assert_eq!(t.lines.iter().map(|l| l.total).sum::<Decimal>(), t.total);
            let _ = b.payment_status();
        }
        if let Some(r) = completed {
            prop_assert_eq!(r.check(), Ok(()));
            let text = till_core::render_text(
                &till_core::Receipt::from_record(&r, &Default::default(), &till_core::ReceiptExtras {
                    terminal_id: "T01".into(), seq: 1, date_time: day().and_hms_opt(0, 0, 0).unwrap_or_default(),
                    operator_name: "c".into(), signature_extract: String::new(), software_version: String::new(), reprint_count: 0,
                }, &Default::default()),
                42,
            );
            prop_assert!(text.lines().all(|l| l.chars().count() <= 42));
        }
        let json = serde_json::to_string(&b).unwrap_or_default();
        let back: Basket = serde_json::from_str(&json).expect("a basket reads back");
        prop_assert_eq!(back, b);
    }

    #[test]
    fn barcode_and_gs1_parsers_never_panic(s in ".{0,40}", d in "[0-9\u{1d}\\]Ce]{0,40}") {
        let _ = till_core::barcode::parse_retail(&s);
        let _ = till_core::barcode::parse_gs1(&s);
        let _ = till_core::barcode::parse_gs1(&d);
        let _ = till_core::barcode::EmbeddedPattern::parse(&s);
        let _ = till_core::barcode::EmbeddedPattern::parse(&d);
    }
}

//! Unit tests of cancellations and refunds.

use super::*;
use crate::auth::tests::user;
use crate::auth::{approve, ApprovalRequired};
use crate::basket::tests::{card, cashier_basket, catalog, day};
use crate::basket::{BasketConfig, Discount};
use crate::vat::VatLine;
use rust_decimal_macros::dec;

fn sale_ref() -> SaleRef {
    SaleRef {
        terminal_id: "T01".into(),
        seq: 42,
        sale_no: "T01-000042".into(),
    }
}

/// NUT x3, TOOL, BOOK, 5 % off the basket; paid 20 by card, the rest in cash.
fn original() -> SaleRecord {
    let c = catalog();
    let mut b = cashier_basket();
    b.add_code(&c, "NUT", Some(dec!(3))).unwrap();
    b.add_code(&c, "TOOL", None).unwrap();
    b.add_code(&c, "BOOK", None).unwrap();
    b.set_basket_discount(Some(Discount::Percent(dec!(5))))
        .unwrap();
    b.pay(card(dec!(20), true)).unwrap();
    b.pay_cash(dec!(50)).unwrap();
    b.complete("T01-000042", day(), "c1").unwrap()
}

fn supervisor_ctx(no: &str) -> Reversal {
    Reversal::new(no, day(), &user("s1", Role::Supervisor))
}

fn net_by_tender(records: &[&SaleRecord]) -> BTreeMap<TenderKind, Money> {
    let mut m = BTreeMap::new();
    for r in records {
        for t in &r.tenders {
            *m.entry(t.kind).or_default() += t.amount;
        }
        *m.entry(TenderKind::Cash).or_default() -= r.change;
    }
    m
}

fn vat_sum(records: &[&SaleRecord]) -> BTreeMap<String, (Money, Money)> {
    let mut m: BTreeMap<String, (Money, Money)> = BTreeMap::new();
    for r in records {
        for VatLine {
            rate, base, tax, ..
        } in &r.vat
        {
            let e = m.entry(rate.to_string()).or_default();
            e.0 += base;
            e.1 += tax;
        }
    }
    m
}

fn assert_nets_to_zero(records: &[&SaleRecord]) {
    let total: Money = records.iter().map(|r| r.total + r.rounding).sum();
    assert_eq!(total, Decimal::ZERO);
    for (rate, (base, tax)) in vat_sum(records) {
        assert_eq!((base, tax), (Decimal::ZERO, Decimal::ZERO), "rate {rate}");
    }
    for (kind, net) in net_by_tender(records) {
        assert_eq!(net, Decimal::ZERO, "tender {kind:?}");
    }
}

#[test]
fn cancellation_mirrors_the_sale() {
    let o = original();
    let c = cancel(
        &o,
        sale_ref(),
        &supervisor_ctx("T01-43"),
        &AlreadyRefunded::default(),
    )
    .unwrap();
    assert_eq!(c.kind, SaleKind::Cancellation);
    assert_eq!(c.reverses, Some(sale_ref()));
    assert_eq!(c.total, -o.total);
    assert_eq!(c.lines[0].quantity, dec!(-3));
    assert_nets_to_zero(&[&o, &c]);
}

#[test]
fn cashier_needs_approval_to_refund_or_cancel() {
    let o = original();
    let mut ctx = Reversal::new("T01-43", day(), &user("c1", Role::Cashier));
    let err = refund_all(&o, sale_ref(), &ctx, &AlreadyRefunded::default()).unwrap_err();
    let SaleError::ApprovalRequired(req) = err else {
        panic!()
    };
    assert_eq!(req.detail, "refund of sale T01-000042");
    assert!(matches!(
        cancel(&o, sale_ref(), &ctx, &AlreadyRefunded::default()),
        Err(SaleError::ApprovalRequired(ApprovalRequired {
            action: Action::CancelSale,
            ..
        }))
    ));
    ctx.approvals.push(
        approve(
            &req,
            &user("s1", Role::Supervisor),
            &user("c1", Role::Cashier),
        )
        .unwrap(),
    );
    let r = refund_all(&o, sale_ref(), &ctx, &AlreadyRefunded::default()).unwrap();
    assert_eq!(r.approvals.len(), 1);
}

#[test]
fn full_refund_goes_back_card_to_card_and_nets_to_zero() {
    let o = original();
    let r = refund_all(
        &o,
        sale_ref(),
        &supervisor_ctx("T01-43"),
        &AlreadyRefunded::default(),
    )
    .unwrap();
    assert_eq!(r.kind, SaleKind::Refund);
    assert_eq!(r.tenders[0].kind, TenderKind::Card);
    assert_eq!(r.tenders[0].amount, dec!(-20));
    assert_eq!(r.tenders[1].kind, TenderKind::Cash);
    assert_nets_to_zero(&[&o, &r]);
    // Nothing is left to refund afterwards.
    let already = AlreadyRefunded::from_refunds([&r]);
    assert_eq!(
        refund_all(&o, sale_ref(), &supervisor_ctx("T01-44"), &already),
        Err(SaleError::NothingToRefund)
    );
    assert_eq!(
        cancel(&o, sale_ref(), &supervisor_ctx("T01-44"), &already),
        Err(SaleError::AlreadyRefunded)
    );
}

#[test]
fn partial_refunds_add_up_to_the_whole() {
    let o = original();
    let ctx = supervisor_ctx("T01-43");
    let r1 = refund_lines(
        &o,
        sale_ref(),
        &[(1, dec!(1))],
        &ctx,
        &AlreadyRefunded::default(),
    )
    .unwrap();
    // One of three: a third of the line, its discount share included.
    assert_eq!(r1.lines[0].line_no, 1);
    assert_eq!(r1.lines[0].gross, dec!(-3.99));
    // Card first: the refund goes back to the card.
    assert_eq!(r1.tenders.len(), 1);
    assert_eq!(r1.tenders[0].kind, TenderKind::Card);
    let already = AlreadyRefunded::from_refunds([&r1]);
    assert_eq!(
        already.refundable(&o),
        vec![(1, dec!(2)), (2, dec!(1)), (3, dec!(1))]
    );
    assert_eq!(
        refund_lines(&o, sale_ref(), &[(1, dec!(3))], &ctx, &already),
        Err(SaleError::RefundExceedsSold {
            line_no: 1,
            requested: dec!(3),
            remaining: dec!(2)
        })
    );
    assert_eq!(
        refund_lines(&o, sale_ref(), &[(9, dec!(1))], &ctx, &already),
        Err(SaleError::NoSuchLine(9))
    );
    let r2 = refund_lines(
        &o,
        sale_ref(),
        &[(1, dec!(2)), (3, dec!(1))],
        &ctx,
        &already,
    )
    .unwrap();
    let already = AlreadyRefunded::from_refunds([&r1, &r2]);
    let r3 = refund_all(&o, sale_ref(), &ctx, &already).unwrap();
    assert_eq!(r3.lines.len(), 1);
    assert_eq!(r3.lines[0].line_no, 2);
    // The card got back no more than it paid.
    let card_back: Money = [&r1, &r2, &r3]
        .iter()
        .flat_map(|r| &r.tenders)
        .filter(|t| t.kind == TenderKind::Card)
        .map(|t| t.amount)
        .sum();
    assert_eq!(card_back, dec!(-20));
    assert_nets_to_zero(&[&o, &r1, &r2, &r3]);
}

#[test]
fn cash_rounding_is_given_back_with_the_last_refund() {
    let c = catalog();
    let mut b = crate::basket::Basket::new(
        BasketConfig {
            cash_rounding_step: Some(dec!(0.05)),
            ..BasketConfig::default()
        },
        &user("c1", Role::Cashier),
    );
    b.add_code(&c, "NUT", Some(dec!(2))).unwrap(); // 7.98 -> 8.00
    b.pay_cash(dec!(10)).unwrap();
    let o = b.complete("T01-1", day(), "c1").unwrap();
    assert_eq!(o.rounding, dec!(0.02));
    let ctx = supervisor_ctx("T01-2");
    let r1 = refund_lines(
        &o,
        sale_ref(),
        &[(1, dec!(1))],
        &ctx,
        &AlreadyRefunded::default(),
    )
    .unwrap();
    assert_eq!(r1.rounding, dec!(0));
    let r2 = refund_all(&o, sale_ref(), &ctx, &AlreadyRefunded::from_refunds([&r1])).unwrap();
    assert_eq!(r2.rounding, dec!(-0.02));
    assert_nets_to_zero(&[&o, &r1, &r2]);
}

#[test]
fn refund_without_receipt_needs_a_manager_and_is_flagged() {
    let c = catalog();
    let nut = c.get("NUT").unwrap();
    let ctx = supervisor_ctx("T01-9");
    let err = refund_without_receipt(&[(nut, dec!(2))], TenderKind::Cash, &ctx).unwrap_err();
    let SaleError::ApprovalRequired(req) = err else {
        panic!()
    };
    assert_eq!(req.min_role, Role::Manager);
    assert_eq!(req.detail, "refund without receipt of 7,98");
    let mut ctx = ctx;
    ctx.approvals.push(
        approve(
            &req,
            &user("m1", Role::Manager),
            &user("s1", Role::Supervisor),
        )
        .unwrap(),
    );
    let r = refund_without_receipt(&[(nut, dec!(2))], TenderKind::Voucher, &ctx).unwrap();
    assert!(r.without_receipt);
    assert_eq!(r.reverses, None);
    assert_eq!(r.flags, vec![FLAG_WITHOUT_RECEIPT.to_string()]);
    assert_eq!(r.tenders[0].amount, dec!(-7.98));
    assert_eq!(
        refund_without_receipt(&[(nut, dec!(-1))], TenderKind::Cash, &ctx),
        Err(SaleError::InvalidQuantity(dec!(-1)))
    );
}

#[test]
fn cheques_come_back_in_cash_on_refund_but_as_cheque_on_cancel() {
    let c = catalog();
    let mut b = cashier_basket();
    b.add_code(&c, "BOOK", None).unwrap();
    b.pay(TenderRecord {
        kind: TenderKind::Cheque,
        amount: dec!(12),
        reference: Some("42".into()),
        card: None,
    })
    .unwrap();
    let o = b.complete("T01-1", day(), "c1").unwrap();
    let ctx = supervisor_ctx("T01-2");
    let r = refund_all(&o, sale_ref(), &ctx, &AlreadyRefunded::default()).unwrap();
    assert_eq!(r.tenders[0].kind, TenderKind::Cash);
    let x = cancel(&o, sale_ref(), &ctx, &AlreadyRefunded::default()).unwrap();
    assert_eq!(x.tenders[0].kind, TenderKind::Cheque);
    assert_nets_to_zero(&[&o, &x]);
}

#[test]
fn only_sales_are_reversed() {
    let o = original();
    let ctx = supervisor_ctx("T01-43");
    let r = refund_all(&o, sale_ref(), &ctx, &AlreadyRefunded::default()).unwrap();
    assert_eq!(
        refund_all(&r, sale_ref(), &ctx, &AlreadyRefunded::default()),
        Err(SaleError::NotASale)
    );
}

//! What the counter does: each operation calls till-core, then the journal,
//! then (only once the record is durable) the drawer and the printer.
//!
//! An operation the rules refuse with `ApprovalRequired` is kept as an
//! [`Op`] in the approval dialog and run again, unchanged, once a supervisor
//! typed their PIN: till-core binds the approval to the exact detail text.

use super::devices::Job;
use super::payment::terminal_approved;
use super::state::{App, CountRow, RefundState, Screen};
use super::store::{FoundSale, Parked};
use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Datelike, FixedOffset};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::drawer::{authorize_close_day, cash_movement, no_sale};
use till_core::records::{
    CashDirection, ClosingKind, Event, ReceiptReprinted, SaleRecord, SaleRef, Session, TenderKind,
    TenderRecord,
};
use till_core::refund::{cancel, refund_lines, refund_without_receipt, AlreadyRefunded, Reversal};
use till_core::{Basket, Discount, Item, Money, Receipt, ReceiptExtras, SaleError};
use till_devices::escpos::core_receipt::render_receipt_with_logo;

/// An operation that may need a supervisor's approval, kept whole so it can
/// be repeated after the approval.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    AddCode {
        code: String,
        qty: Option<Decimal>,
    },
    AddItem {
        id: String,
        qty: Option<Decimal>,
    },
    SetQty {
        line: u32,
        qty: Decimal,
    },
    LineDiscount {
        line: u32,
        d: Option<Discount>,
    },
    BasketDiscount(Option<Discount>),
    OverridePrice {
        line: u32,
        price: Money,
    },
    Void(u32),
    Tender {
        kind: TenderKind,
        amount: Money,
    },
    RemoveTender,
    Complete,
    Abandon,
    Refund(Box<RefundState>),
    Cancel(Box<FoundSale>),
    RefundNoReceipt {
        items: Vec<(String, Decimal)>,
        kind: TenderKind,
    },
    NoSale,
    CashMove {
        direction: CashDirection,
        amount: Money,
    },
    CloseDay(Vec<CountRow>),
}

impl Op {
    /// Whether the approval goes into the basket (and so into the sale
    /// record) rather than the operation's own record.
    pub(crate) fn is_basket_op(&self) -> bool {
        matches!(
            self,
            Op::AddCode { .. }
                | Op::AddItem { .. }
                | Op::SetQty { .. }
                | Op::LineDiscount { .. }
                | Op::BasketDiscount(_)
                | Op::OverridePrice { .. }
                | Op::Void(_)
                | Op::Tender { .. }
                | Op::RemoveTender
                | Op::Complete
                | Op::Abandon
        )
    }
}

fn hex8(hash: &[u8; 32]) -> String {
    hash.iter().take(4).map(|b| format!("{b:02X}")).collect()
}

impl App {
    /// Runs `op`; asks for approval when the rules say so; shows any other
    /// refusal as a plain message (the state is unchanged then).
    pub(crate) fn exec(&mut self, op: Op) {
        match self.run_op(&op) {
            Ok(()) => {
                if !op.is_basket_op() {
                    self.op_approvals.clear();
                }
            }
            Err(e) => match e.downcast_ref::<SaleError>() {
                Some(SaleError::ApprovalRequired(req)) => {
                    self.approval = Some(super::state::ApprovalDialog {
                        req: req.clone(),
                        op,
                        pin: String::new(),
                        error: None,
                    });
                }
                _ => {
                    if !op.is_basket_op() {
                        self.op_approvals.clear();
                    }
                    self.error(format!("{e:#}"));
                }
            },
        }
    }

    fn user(&self) -> Result<till_core::User> {
        self.user
            .clone()
            .ok_or_else(|| anyhow!("personne n'est identifié"))
    }

    /// The basket, created on the first article.
    fn basket_mut(&mut self) -> Result<&mut Basket> {
        if self.basket.is_none() {
            let user = self.user()?;
            self.basket = Some(Basket::new(self.settings.basket.clone(), &user));
        }
        self.basket
            .as_mut()
            .ok_or_else(|| anyhow!("pas de vente en cours"))
    }

    /// Saves the basket after a change so a crash puts it back on screen.
    /// With `defer_persist` (the terminal loop) it only marks the basket
    /// dirty: the loop draws the new line first, then calls [`App::flush`]
    /// before reading the next key, so the fsync is not between the scan
    /// and the screen, and nothing typed after it is read before it is saved.
    pub(crate) fn persist(&mut self) {
        if self.defer_persist {
            self.basket_dirty = true;
            return;
        }
        self.save_now();
    }

    /// Saves a basket marked dirty by a deferred [`App::persist`].
    pub fn flush(&mut self) {
        if std::mem::take(&mut self.basket_dirty) {
            self.save_now();
        }
    }

    /// Whether it was saved (the error is on screen when not).
    pub(crate) fn save_now(&mut self) -> bool {
        let res = match &self.basket {
            Some(b) if !b.lines().is_empty() || !b.tenders().is_empty() => serde_json::to_vec(b)
                .map_err(anyhow::Error::from)
                .and_then(|bytes| Ok(self.journal.save_basket(&bytes)?)),
            _ => self.journal.clear_basket().map_err(anyhow::Error::from),
        };
        if let Err(e) = res {
            self.error(format!(
                "ATTENTION : vente en cours non sauvegardée ({e:#}). Vérifiez le disque."
            ));
            return false;
        }
        true
    }

    fn run_op(&mut self, op: &Op) -> Result<()> {
        match op {
            Op::AddCode { code, qty } => {
                let catalog = &self.catalog;
                let basket = match &mut self.basket {
                    Some(b) => b,
                    None => {
                        let user = self.user.clone().ok_or_else(|| anyhow!("non identifié"))?;
                        self.basket
                            .insert(Basket::new(self.settings.basket.clone(), &user))
                    }
                };
                if let Err(e) = basket.add_code(catalog, code, *qty) {
                    if basket.lines().is_empty() && basket.tenders().is_empty() {
                        self.basket = None;
                    }
                    return Err(e.into());
                }
                self.after_line_added();
            }
            Op::AddItem { id, qty } => {
                let item = self
                    .catalog
                    .get(id)
                    .cloned()
                    .ok_or_else(|| anyhow!("article {id} inconnu"))?;
                let q = match (qty, item.unit) {
                    (Some(q), _) => *q,
                    (None, till_core::records::Unit::Piece) => Decimal::ONE,
                    (None, till_core::records::Unit::Kg) => {
                        return Err(anyhow!("article au poids : tapez le poids en kg puis *"))
                    }
                };
                let barcode = item.barcodes.first().cloned();
                self.basket_mut()?.add_item(&item, q, barcode)?;
                self.after_line_added();
            }
            Op::SetQty { line, qty } => {
                self.basket_mut()?.set_quantity(*line, *qty)?;
                self.input.clear();
                self.persist();
            }
            Op::LineDiscount { line, d } => {
                self.basket_mut()?.set_line_discount(*line, *d)?;
                self.input.clear();
                self.persist();
            }
            Op::BasketDiscount(d) => {
                self.basket_mut()?.set_basket_discount(*d)?;
                self.input.clear();
                self.persist();
            }
            Op::OverridePrice { line, price } => {
                self.basket_mut()?.override_price(*line, *price)?;
                self.input.clear();
                self.persist();
            }
            Op::Void(line) => {
                self.basket_mut()?.void_line(*line)?;
                let n = self.live_lines().len();
                self.selected = self.selected.min(n.saturating_sub(1));
                self.persist();
            }
            Op::Tender { kind, amount }
                if matches!(kind, TenderKind::Card | TenderKind::EWallet)
                    && self.devices.has_terminal() =>
            {
                self.terminal_tender(*kind, *amount)?;
            }
            Op::Tender { kind, amount } => {
                let tender = TenderRecord {
                    kind: *kind,
                    amount: *amount,
                    reference: None,
                    card: None,
                };
                let status = self.basket_mut()?.pay(tender)?;
                self.persist();
                if matches!(kind, TenderKind::Card | TenderKind::EWallet) {
                    // Typed in from a standalone terminal: the till has no
                    // proof of it, and says so.
                    self.info(format!(
                        "{} saisi sans terminal (terminal non configuré) : {}",
                        kind.label_fr(),
                        self.money(*amount)
                    ));
                }
                if status.remaining <= Decimal::ZERO {
                    self.exec(Op::Complete);
                }
            }
            Op::RemoveTender => {
                let b = self.basket_mut()?;
                let n = b.tenders().len();
                if n == 0 {
                    return Err(anyhow!("aucun paiement à retirer"));
                }
                if b.tenders().get(n - 1).is_some_and(terminal_approved) {
                    return Err(anyhow!(
                        "paiement accepté par le terminal : il reste acquis ; terminez la \
                         vente, puis annulez-la (F9, 3) pour rembourser la carte"
                    ));
                }
                b.remove_tender(n - 1)?;
                self.persist();
            }
            Op::Complete => self.commit_sale()?,
            Op::Abandon => {
                if let Some(b) = &self.basket {
                    if b.tenders().iter().any(terminal_approved) {
                        return Err(anyhow!(
                            "un paiement carte est accepté : terminez la vente, puis \
                             annulez-la (F9, 3) pour rembourser la carte"
                        ));
                    }
                    b.check_abandon()?;
                }
                self.basket = None;
                // A late approval for it must not land in the next sale.
                self.terminal.sale_gone();
                self.selected = 0;
                self.pending_qty = None;
                self.persist();
                self.screen = Screen::Sale;
                self.info("Vente abandonnée");
            }
            Op::Refund(st) => self.refund(st)?,
            Op::Cancel(found) => self.cancel(found)?,
            Op::RefundNoReceipt { items, kind } => self.refund_no_receipt(items, *kind)?,
            Op::NoSale => {
                let user = self.user()?;
                let rec = no_sale("ouverture sans vente", &user, &self.op_approvals)?;
                let ts = self.now();
                self.journal.append(ts, &Event::DrawerOpened(rec))?;
                self.devices.submit(Job::OpenDrawer);
                self.info("Tiroir ouvert (sans vente, enregistré)");
            }
            Op::CashMove { direction, amount } => {
                let user = self.user()?;
                let day = self.business_day();
                let reason = match direction {
                    CashDirection::In => "apport",
                    CashDirection::Out => "retrait",
                };
                let rec = cash_movement(
                    *direction,
                    *amount,
                    reason,
                    &user,
                    &self.op_approvals,
                    day,
                    self.currency(),
                )?;
                let ts = self.now();
                self.journal.append(ts, &Event::CashMovement(rec))?;
                self.devices.submit(Job::OpenDrawer);
                self.screen = Screen::Sale;
                self.info(format!(
                    "{} de {} enregistrée",
                    match direction {
                        CashDirection::In => "Entrée",
                        CashDirection::Out => "Sortie",
                    },
                    self.money(*amount)
                ));
            }
            Op::CloseDay(rows) => self.close_day(rows)?,
        }
        Ok(())
    }

    fn after_line_added(&mut self) {
        self.input.clear();
        let n = self.live_lines().len();
        self.selected = n.saturating_sub(1);
        self.persist();
    }

    pub(crate) fn receipt_no(&self) -> Result<String> {
        Ok(format!(
            "{}-{:06}",
            self.journal.terminal_id(),
            self.journal.next_sale_no()?
        ))
    }

    /// Builds the record, commits it (clearing the saved basket in the same
    /// transaction), then opens the drawer and prints: never the other way.
    fn commit_sale(&mut self) -> Result<()> {
        let user = self.user()?;
        let day = self.business_day();
        let sale_no = self.receipt_no()?;
        let basket = self
            .basket
            .as_ref()
            .ok_or_else(|| anyhow!("pas de vente en cours"))?;
        let record = basket.complete(&sale_no, day, &user.id)?;
        let ts = self.now();
        let a = self
            .journal
            .append_and_clear_basket(ts, &Event::SaleCompleted(record.clone()))
            .context("vente NON enregistrée (journal)")?;
        self.basket = None;
        // A late approval for it must not land in the next sale.
        self.terminal.sale_gone();
        self.selected = 0;
        // Kept while a lost card attempt may still be approved (the sale
        // was paid otherwise): a stop before its late answer must still
        // tell the cashier at the next start to check the terminal's ticket.
        if !self.terminal.listening() {
            self.clear_pending();
        }
        self.after_record(&record, a.seq, &a.hash, ts);
        self.last_sale = Some((a.seq, record.sale_no.clone()));
        self.screen = Screen::Done {
            title: format!("Vente {} enregistrée", record.sale_no),
            big: format!("Rendu : {}", self.money(record.change)),
            detail: format!("Total {}", self.money(record.total)),
        };
        Ok(())
    }

    /// The drawer (if cash moved) and the receipt, once a record is durable.
    fn after_record(
        &mut self,
        record: &SaleRecord,
        seq: u64,
        hash: &[u8; 32],
        ts: DateTime<FixedOffset>,
    ) {
        if record.tenders.iter().any(|t| t.kind == TenderKind::Cash) {
            self.devices.submit(Job::OpenDrawer);
        }
        self.print(record, seq, hash, ts, 0);
    }

    fn print(
        &mut self,
        record: &SaleRecord,
        seq: u64,
        hash: &[u8; 32],
        ts: DateTime<FixedOffset>,
        reprint: u32,
    ) {
        let operator_name = self
            .users
            .iter()
            .find(|u| u.id == record.operator)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| record.operator.clone());
        let extras = ReceiptExtras {
            terminal_id: self.journal.terminal_id().to_string(),
            seq,
            date_time: ts.naive_local(),
            operator_name,
            signature_extract: hex8(hash),
            software_version: crate::VERSION.to_string(),
            reprint_count: reprint,
        };
        let receipt = Receipt::from_record(record, &self.settings.shop, &extras, self.currency());
        match render_receipt_with_logo(&receipt, self.settings.layout, self.settings.logo.as_ref())
        {
            Ok(bytes) => self.devices.submit(Job::Print {
                what: record.sale_no.clone(),
                bytes,
            }),
            Err(e) => {
                self.error(format!("Ticket {} non imprimable : {e}", record.sale_no));
                self.status.unprinted.push(record.sale_no.clone());
            }
        }
    }

    /// Prints a report (X, Z) as plain text: the printer's own font, PC858.
    pub(crate) fn print_report(&mut self, what: &str, text: &str) {
        use till_devices::escpos::{cmd, pc858, Cut};
        let mut bytes = cmd::INIT.to_vec();
        bytes.extend_from_slice(&cmd::code_page(self.settings.layout.code_page));
        for line in text.lines() {
            pc858::encode_into(line, &mut bytes);
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(&cmd::feed(3));
        bytes.extend(cmd::cut(Cut::FeedPartial(3)));
        self.devices.submit(Job::Print {
            what: what.to_string(),
            bytes,
        });
    }

    fn reversal(&mut self) -> Result<Reversal> {
        let user = self.user()?;
        let day = self.business_day();
        let mut ctx = Reversal::new(&self.receipt_no()?, day, &user);
        ctx.approvals = self.op_approvals.clone();
        ctx.currency = self.currency().clone();
        Ok(ctx)
    }

    fn original_ref(&self, found: &FoundSale) -> SaleRef {
        SaleRef {
            terminal_id: self.journal.terminal_id().to_string(),
            seq: found.seq,
            sale_no: found.record.sale_no.clone(),
        }
    }

    fn commit_reversal(&mut self, record: SaleRecord, cancelled: bool) -> Result<()> {
        if self.refund_through_terminal(record.clone(), cancelled) {
            return Ok(());
        }
        self.commit_reversal_now(record, cancelled)
    }

    /// Commits a refund or cancellation whose card tenders (if any) are
    /// paid back already.
    pub(crate) fn commit_reversal_now(
        &mut self,
        record: SaleRecord,
        cancelled: bool,
    ) -> Result<()> {
        let ts = self.now();
        let ev = if cancelled {
            Event::SaleCancelled(record.clone())
        } else {
            Event::Refund(record.clone())
        };
        let a = self
            .journal
            .append(ts, &ev)
            .context("NON enregistré (journal)")?;
        self.clear_pending();
        self.after_record(&record, a.seq, &a.hash, ts);
        let cash: Money = record
            .tenders
            .iter()
            .filter(|t| t.kind == TenderKind::Cash)
            .map(|t| -t.amount)
            .sum();
        let others: Vec<String> = record
            .tenders
            .iter()
            .filter(|t| t.kind != TenderKind::Cash)
            .map(|t| format!("{} {}", t.kind.label_fr(), self.money(-t.amount)))
            .collect();
        self.screen = Screen::Done {
            title: format!(
                "{} {} enregistré{}",
                if cancelled {
                    "Annulation"
                } else {
                    "Remboursement"
                },
                record.sale_no,
                if cancelled { "e" } else { "" }
            ),
            big: format!("À rendre en espèces : {}", self.money(cash)),
            detail: if others.is_empty() {
                format!("Total {}", self.money(record.total))
            } else {
                format!("Total {} ; {}", self.money(record.total), others.join(", "))
            },
        };
        Ok(())
    }

    fn refund(&mut self, st: &RefundState) -> Result<()> {
        let ctx = self.reversal()?;
        let already = AlreadyRefunded::from_refunds(st.found.reversals.iter());
        let selection: Vec<(u32, Decimal)> = st.picks.iter().map(|(l, q)| (*l, *q)).collect();
        let record = refund_lines(
            &st.found.record,
            self.original_ref(&st.found),
            &selection,
            &ctx,
            &already,
        )?;
        self.commit_reversal(record, false)
    }

    fn cancel(&mut self, found: &FoundSale) -> Result<()> {
        let ctx = self.reversal()?;
        let already = AlreadyRefunded::from_refunds(found.reversals.iter());
        let record = cancel(&found.record, self.original_ref(found), &ctx, &already)?;
        self.commit_reversal(record, true)
    }

    fn refund_no_receipt(&mut self, items: &[(String, Decimal)], kind: TenderKind) -> Result<()> {
        let ctx = self.reversal()?;
        let mut returned: Vec<(&Item, Decimal)> = Vec::new();
        for (id, q) in items {
            let item = self
                .catalog
                .get(id)
                .ok_or_else(|| anyhow!("article {id} inconnu"))?;
            returned.push((item, *q));
        }
        let record = refund_without_receipt(&returned, kind, &ctx)?;
        self.commit_reversal(record, false)
    }

    /// Prints a past receipt again, marked DUPLICATA, and records it. A
    /// receipt that never reached paper in this session (the printer refused
    /// it before printing anything) is printed as the original instead: the
    /// customer never had it, so it is no duplicate.
    pub(crate) fn reprint(&mut self, found: &FoundSale) {
        let res = (|| -> Result<()> {
            let user = self.user()?;
            let stored = self
                .journal
                .event(found.seq)?
                .ok_or_else(|| anyhow!("enregistrement {} absent", found.seq))?;
            let ts = stored
                .ts_parsed()
                .ok_or_else(|| anyhow!("date illisible sur l'enregistrement {}", found.seq))?;
            let sale_no = &found.record.sale_no;
            let never_printed = found.reprints == 0
                && self.status.unprinted.contains(sale_no)
                && !self.status.partly_printed.contains(sale_no);
            if never_printed {
                self.status.unprinted.retain(|s| s != sale_no);
                self.print(&found.record, found.seq, &stored.hash, ts, 0);
                self.info(format!(
                    "Ticket {sale_no} imprimé (original, jamais imprimé)"
                ));
                return Ok(());
            }
            let count = found.reprints + 1;
            let now = self.now();
            self.journal.append(
                now,
                &Event::ReceiptReprinted(ReceiptReprinted {
                    sale: self.original_ref(found),
                    reprint_count: count,
                    operator: user.id.clone(),
                }),
            )?;
            self.status.unprinted.retain(|s| *s != found.record.sale_no);
            self.status
                .partly_printed
                .retain(|s| *s != found.record.sale_no);
            self.print(&found.record, found.seq, &stored.hash, ts, count);
            self.info(format!(
                "Ticket {} réimprimé (DUPLICATA {count})",
                found.record.sale_no
            ));
            Ok(())
        })();
        if let Err(e) = res {
            self.error(format!("Réimpression impossible : {e:#}"));
        }
    }

    /// Sets the sale aside (F7) and starts an empty one.
    pub(crate) fn park(&mut self) {
        let Some(b) = self.basket.clone() else { return };
        if !b.tenders().is_empty() {
            self.error("Paiement commencé : terminez ou retirez les paiements (F6) d'abord");
            return;
        }
        let at = self.now().format("%H:%M").to_string();
        self.parked.list.push(Parked { at, basket: b });
        // Written before the basket slot is cleared: a crash in between
        // leaves the sale twice, never nowhere.
        if let Err(e) = self.parked.save() {
            self.parked.list.pop();
            self.error(format!("Mise en attente impossible : {e:#}"));
            return;
        }
        self.basket = None;
        // A late approval for it must not land in the next sale.
        self.terminal.sale_gone();
        self.selected = 0;
        self.persist();
        self.info(format!(
            "Vente mise en attente ({} en attente) ; F7 sur un panier vide pour la reprendre",
            self.parked.list.len()
        ));
    }

    /// Brings a parked sale back (only onto an empty basket).
    pub(crate) fn resume(&mut self, idx: usize) {
        if self.basket_has_lines() {
            self.error("Une vente est en cours : mettez-la en attente d'abord");
            self.screen = Screen::Sale;
            return;
        }
        if idx >= self.parked.list.len() {
            return;
        }
        let p = self.parked.list.remove(idx);
        let mut b = p.basket.clone();
        if let Some(u) = &self.user {
            b.set_operator(u);
        }
        self.basket = Some(b);
        // Saved in the journal slot first, then removed from the file.
        self.persist();
        if let Err(e) = self.parked.save() {
            self.error(format!("Liste d'attente non mise à jour : {e:#}"));
        }
        self.selected = self.live_lines().len().saturating_sub(1);
        self.screen = Screen::Sale;
        self.info("Vente reprise");
    }

    pub(crate) fn x_report(&mut self) {
        let day = self.business_day().to_string();
        match crate::report::period_report(&self.journal, ClosingKind::Day, &day) {
            Ok(text) => {
                self.screen = Screen::Report {
                    title: format!("Rapport X du {day} (provisoire)"),
                    text,
                }
            }
            Err(e) => self.error(format!("Rapport impossible : {e:#}")),
        }
    }

    /// Expected amounts per tender for the Z cash count.
    pub(crate) fn start_cash_count(&mut self) {
        let day = self.business_day().to_string();
        let totals = match self.journal.period_totals(ClosingKind::Day, &day) {
            Ok(t) => t,
            Err(e) => {
                self.error(format!("Totaux illisibles : {e:#}"));
                return;
            }
        };
        let mut expected: BTreeMap<String, Money> = totals.by_tender.clone();
        let cash = expected.entry("cash".into()).or_default();
        *cash += totals.cash_in - totals.cash_out;
        // Cash first: it is what the cashier counts by hand.
        let mut rows: Vec<CountRow> = Vec::new();
        if let Some(c) = expected.remove("cash") {
            rows.push(CountRow {
                tender: "cash".into(),
                expected: c,
                counted: None,
            });
        }
        rows.extend(expected.into_iter().map(|(tender, e)| CountRow {
            tender,
            expected: e,
            counted: None,
        }));
        self.input.clear();
        self.screen = Screen::CashCount { rows, sel: 0 };
    }

    fn close_day(&mut self, rows: &[CountRow]) -> Result<()> {
        let user = self.user()?;
        let day = self.business_day();
        authorize_close_day(&user, &self.op_approvals, day)?;
        let counted: BTreeMap<String, Money> = rows
            .iter()
            .filter_map(|r| r.counted.map(|c| (r.tender.clone(), c)))
            .collect();
        let ts = self.now();
        let period = day.to_string();
        self.journal
            .close(ts, ClosingKind::Day, &period, &user.id, counted)
            .with_context(|| format!("clôture du {period}"))?;
        self.last_closed = Some(day);
        let auto = self.close_due_periods(day, ts, &user.id);
        let mut text = crate::report::period_report(&self.journal, ClosingKind::Day, &period)?;
        if !text.to_lowercase().contains("comptage") {
            // The report did not show the count: add it.
            text.push_str("\nComptage (attendu / compté / écart)\n");
            for r in rows {
                let c = r.counted.unwrap_or_default();
                text.push_str(&format!(
                    "  {:<14} {:>12} {:>12} {:>10}\n",
                    r.tender,
                    self.money(r.expected),
                    self.money(c),
                    self.money(c - r.expected)
                ));
            }
        }
        if !auto.is_empty() {
            text.push_str(&format!("\nClôtures automatiques : {}\n", auto.join(", ")));
        }
        self.print_report(&format!("Z {period}"), &text);
        self.screen = Screen::Report {
            title: format!("Clôture Z du {period} enregistrée"),
            text,
        };
        Ok(())
    }

    /// Monthly and yearly closings happen on their own: after the Z of the
    /// last day of a month (or year), and for any earlier month or year with
    /// closed days but no closing of its own.
    fn close_due_periods(
        &mut self,
        day: chrono::NaiveDate,
        ts: DateTime<FixedOffset>,
        operator: &str,
    ) -> Vec<String> {
        let mut done = Vec::new();
        let Ok(closings) = self.journal.closings() else {
            return done;
        };
        let closed = |kind: &str, p: &str| closings.iter().any(|(k, q, _)| k == kind && q == p);
        let next = day.succ_opt().unwrap_or(day);
        let this_month = format!("{:04}-{:02}", day.year(), day.month());
        let mut months: Vec<String> = closings
            .iter()
            .filter(|(k, _, _)| k == "day")
            .filter_map(|(_, p, _)| p.get(..7).map(str::to_string))
            .filter(|m| *m < this_month || (*m == this_month && next.month() != day.month()))
            .collect();
        months.sort();
        months.dedup();
        for m in months.into_iter().filter(|m| !closed("month", m)) {
            if self
                .journal
                .close(ts, ClosingKind::Month, &m, operator, BTreeMap::new())
                .is_ok()
            {
                done.push(format!("mois {m}"));
            }
        }
        let this_year = format!("{:04}", day.year());
        let mut years: Vec<String> = closings
            .iter()
            .filter(|(k, _, _)| k == "day")
            .filter_map(|(_, p, _)| p.get(..4).map(str::to_string))
            .filter(|y| *y < this_year || (*y == this_year && next.year() != day.year()))
            .collect();
        years.sort();
        years.dedup();
        for y in years.into_iter().filter(|y| !closed("year", y)) {
            if self
                .journal
                .close(ts, ClosingKind::Year, &y, operator, BTreeMap::new())
                .is_ok()
            {
                done.push(format!("année {y}"));
            }
        }
        done
    }

    /// Ends the session (journal `logout`); the basket in progress stays saved.
    pub fn logout(&mut self) {
        if let Some(u) = self.user.take() {
            let ts = self.now();
            if let Err(e) = self
                .journal
                .append(ts, &Event::Logout(Session { user: u.id }))
            {
                self.error(format!("Journal indisponible : {e}"));
            }
        }
        self.input.clear();
        self.screen = Screen::Login;
    }
}

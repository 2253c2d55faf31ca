//! Screens reached by a receipt number (refund, cancel, reprint), the
//! refund screens (with and without a receipt), and the records they make.

use super::ops::Op;
use super::{parse_qty, Counter, Effect, Purpose, RefundState, ReversalFrom, Screen, Then};
use crate::app::keys::Key;
use crate::app::store::FoundSale;
use anyhow::{anyhow, Result};
use comptoir_i18n::till::Till;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::records::{Event, ReceiptReprinted, SaleRecord, SaleRef, TenderKind};
use till_core::refund::{cancel, refund_lines, refund_without_receipt, AlreadyRefunded, Reversal};
use till_core::Item;

impl Counter {
    pub(crate) fn receipt_no_key(&mut self, k: Key, purpose: Purpose) {
        if self.edit(k) {
            return;
        }
        match k {
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
            }
            Key::Enter => {
                let typed = std::mem::take(&mut self.input);
                let sale_no = match (typed.trim(), purpose, &self.last_sale) {
                    ("", Purpose::Reprint, Some((_, no))) => no.clone(),
                    ("", _, _) => {
                        self.error(self.tr(Till::TypeReceiptNo));
                        return;
                    }
                    (t, _, _) => self.normalize_sale_no(t),
                };
                self.start_lookup(purpose, sale_no);
            }
            _ => {}
        }
    }

    /// Looks the receipt up (on a thread, in the shell: an old receipt
    /// means reading everything since, which must not freeze the screen).
    /// The answer comes back as [`Input::Found`](super::Input::Found).
    fn start_lookup(&mut self, purpose: Purpose, sale_no: String) {
        self.emit(Effect::Lookup {
            sale_no: sale_no.clone(),
        });
        self.screen = Screen::Searching { purpose, sale_no };
    }

    /// What the receipt look-up found.
    pub(crate) fn found_receipt(
        &mut self,
        purpose: Purpose,
        sale_no: String,
        res: Result<Option<FoundSale>, String>,
    ) {
        self.screen = Screen::ReceiptNo { purpose };
        let found = match res {
            Ok(Some(f)) => f,
            Ok(None) => {
                self.error(self.trf(Till::ReceiptNotFound, &[("sale", &sale_no)]));
                return;
            }
            Err(e) => {
                self.error(self.trf(Till::LookupFailed, &[("why", &e)]));
                return;
            }
        };
        match purpose {
            Purpose::Refund => {
                let already = till_core::AlreadyRefunded::from_refunds(found.reversals.iter());
                let left = already.refundable(&found.record);
                if left.is_empty() {
                    self.error(self.trf(Till::FullyRefunded, &[("sale", &sale_no)]));
                    self.screen = Screen::Sale;
                    return;
                }
                self.screen = Screen::Refund(Box::new(RefundState {
                    found,
                    picks: BTreeMap::new(),
                    left,
                    sel: 0,
                }));
            }
            Purpose::Cancel => {
                self.screen = Screen::Sale;
                self.exec(Op::Cancel(Box::new(found)));
            }
            Purpose::Reprint => {
                self.screen = Screen::Sale;
                self.reprint(&found);
            }
        }
    }

    /// "12" -> "T1-000012"; a full number is kept as typed.
    pub fn normalize_sale_no(&self, typed: &str) -> String {
        if !typed.is_empty() && typed.chars().all(|c| c.is_ascii_digit()) {
            match typed.parse::<u64>() {
                Ok(n) => format!("{}-{:06}", self.terminal_id, n),
                Err(_) => typed.to_string(),
            }
        } else {
            typed.to_uppercase()
        }
    }

    pub(crate) fn refund_key(&mut self, k: Key, mut st: RefundState) {
        if self.edit(k) {
            self.screen = Screen::Refund(Box::new(st));
            return;
        }
        match k {
            Key::Up | Key::Down => {
                st.sel = Self::move_sel(st.sel, st.left.len(), k);
            }
            Key::Enter => {
                if let Some(&(line, left)) = st.left.get(st.sel) {
                    if st.picks.contains_key(&line) && self.input.is_empty() {
                        st.picks.remove(&line);
                    } else {
                        let q = if self.input.trim().is_empty() {
                            Some(left)
                        } else {
                            parse_qty(&self.input)
                        };
                        match q {
                            Some(q) if q > Decimal::ZERO && q <= left => {
                                st.picks.insert(line, q);
                            }
                            _ => self.error(self.trf(
                                Till::QtyBetween,
                                &[("max", &crate::app::words::qty(&self.fmt(), left))],
                            )),
                        }
                    }
                    self.input.clear();
                    if st.sel + 1 < st.left.len() {
                        st.sel += 1;
                    }
                }
            }
            Key::F(8) => {
                if st.picks.is_empty() {
                    self.error(self.tr(Till::PickLines));
                } else {
                    self.screen = Screen::Refund(Box::new(st.clone()));
                    self.exec(Op::Refund(Box::new(st)));
                    return;
                }
            }
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
                return;
            }
            _ => {}
        }
        self.screen = Screen::Refund(Box::new(st));
    }

    pub(crate) fn refund_no_receipt_key(&mut self, k: Key, mut items: Vec<(String, Decimal)>) {
        if k == Key::Char('*') {
            self.edit_sale_input(k);
            return;
        }
        if self.edit(k) {
            return;
        }
        match k {
            Key::Enter => {
                let code = std::mem::take(&mut self.input);
                match self.catalog.lookup(code.trim()) {
                    Ok(l) => {
                        let q = self.pending_qty.take().unwrap_or(Decimal::ONE);
                        items.push((l.item.id.clone(), q));
                    }
                    Err(e) => self.error(crate::app::words::lookup_error(self.lang(), &e)),
                }
            }
            Key::F(1) | Key::F(2) => {
                if items.is_empty() {
                    self.error(self.tr(Till::ScanReturned));
                } else {
                    let kind = if k == Key::F(1) {
                        till_core::records::TenderKind::Cash
                    } else {
                        till_core::records::TenderKind::Card
                    };
                    self.exec(Op::RefundNoReceipt { items, kind });
                    return;
                }
            }
            Key::F(6) => {
                items.pop();
            }
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
                return;
            }
            _ => {}
        }
        if matches!(self.screen, Screen::RefundNoReceipt { .. }) {
            self.screen = Screen::RefundNoReceipt { items };
        }
    }

    fn reversal(&mut self) -> Result<Reversal> {
        let user = self.logged_user()?;
        let day = self.business_day();
        let mut ctx = Reversal::new(&self.receipt_no()?, day, &user);
        ctx.permissions = self.settings.basket.permissions.clone();
        ctx.approvals = self.op_approvals.clone();
        ctx.currency = self.currency().clone();
        Ok(ctx)
    }

    fn original_ref(&self, found: &FoundSale) -> SaleRef {
        SaleRef {
            terminal_id: self.terminal_id.clone(),
            seq: found.seq,
            sale_no: found.record.sale_no.clone(),
        }
    }

    fn commit_reversal(&mut self, record: SaleRecord, cancelled: bool) -> Result<()> {
        if self.refund_through_terminal(record.clone(), cancelled) {
            return Ok(());
        }
        self.commit_reversal_now(record, cancelled, ReversalFrom::Op);
        Ok(())
    }

    pub(crate) fn refund(&mut self, st: &RefundState) -> Result<()> {
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

    pub(crate) fn cancel(&mut self, found: &FoundSale) -> Result<()> {
        let ctx = self.reversal()?;
        let already = AlreadyRefunded::from_refunds(found.reversals.iter());
        let record = cancel(&found.record, self.original_ref(found), &ctx, &already)?;
        self.commit_reversal(record, true)
    }

    pub(crate) fn refund_no_receipt(
        &mut self,
        items: &[(String, Decimal)],
        kind: TenderKind,
    ) -> Result<()> {
        let ctx = self.reversal()?;
        let mut returned: Vec<(&Item, Decimal)> = Vec::new();
        for (id, q) in items {
            let item = self
                .catalog
                .get(id)
                .ok_or_else(|| anyhow!(self.trf(Till::ErrUnknownItem, &[("item", id)])))?;
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
            let user = self.logged_user()?;
            let ts = found.ts.ok_or_else(|| {
                anyhow!(self.trf(Till::ErrUnreadableDate, &[("seq", &found.seq)]))
            })?;
            let sale_no = &found.record.sale_no;
            let never_printed = found.reprints == 0
                && self.status.unprinted.contains(sale_no)
                && !self.status.partly_printed.contains(sale_no);
            if never_printed {
                self.status.unprinted.retain(|s| s != sale_no);
                self.print(&found.record, found.seq, &found.hash, ts, 0);
                self.info(self.trf(Till::PrintedOriginal, &[("sale", sale_no)]));
                return Ok(());
            }
            let count = found.reprints + 1;
            let now = self.now();
            self.emit(Effect::Append {
                ts: now,
                event: Event::ReceiptReprinted(ReceiptReprinted {
                    sale: self.original_ref(found),
                    reprint_count: count,
                    operator: user.id.clone(),
                }),
                clear_basket: false,
                then: Then::Reprint {
                    found: Box::new(found.clone()),
                    count,
                },
            });
            Ok(())
        })();
        if let Err(e) = res {
            let why = self.refusal(&e);
            self.error(self.trf(Till::ReprintFailed, &[("why", &why)]));
        }
    }

    /// The reprint is recorded: print it.
    pub(crate) fn reprinted(&mut self, found: &FoundSale, count: u32) {
        let Some(ts) = found.ts else { return };
        self.status.unprinted.retain(|s| *s != found.record.sale_no);
        self.status
            .partly_printed
            .retain(|s| *s != found.record.sale_no);
        self.print(&found.record, found.seq, &found.hash, ts, count);
        self.info(self.trf(
            Till::Reprinted,
            &[("sale", &found.record.sale_no), ("n", &count)],
        ));
    }
}

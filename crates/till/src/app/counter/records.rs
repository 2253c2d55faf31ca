//! Once a record is durable: the drawer (if cash moved), the receipt, the
//! next screen. Never before: what the journal refused did not happen.

use super::{Counter, Effect, ReversalFrom, Screen, Then};
use crate::app::devices::Job;
use anyhow::{anyhow, Result};
use chrono::{DateTime, FixedOffset};
use comptoir_i18n::till::Till;
use till_core::records::{Event, SaleRecord, TenderKind};
use till_core::{Money, Receipt, ReceiptExtras};
use till_devices::escpos::core_receipt::render_receipt_with_logo;

fn hex8(hash: &[u8; 32]) -> String {
    hash.iter().take(4).map(|b| format!("{b:02X}")).collect()
}

impl Counter {
    /// Builds the record and asks for it to be committed, clearing the
    /// saved basket in the same transaction; the drawer and the receipt
    /// follow in [`Counter::sale_recorded`].
    pub(crate) fn commit_sale(&mut self) -> Result<()> {
        let user = self.logged_user()?;
        let day = self.business_day();
        let sale_no = self.receipt_no()?;
        let basket = self
            .basket
            .as_ref()
            .ok_or_else(|| anyhow!(self.tr(Till::ErrNoSale)))?;
        let record = basket.complete(&sale_no, day, &user.id)?;
        let ts = self.now();
        self.emit(Effect::Append {
            ts,
            event: Event::SaleCompleted(record.clone()),
            clear_basket: true,
            then: Then::Sale(Box::new(record)),
        });
        Ok(())
    }

    fn sale_recorded(
        &mut self,
        record: &SaleRecord,
        seq: u64,
        hash: &[u8; 32],
        ts: DateTime<FixedOffset>,
    ) {
        self.basket = None;
        // A late approval for it must not land in the next sale.
        self.terminal.sale_gone();
        self.selected = 0;
        // Kept while a lost card attempt may still be approved (the sale
        // was paid otherwise): a stop before its late answer must still
        // tell the cashier at the next start to check the terminal's ticket.
        if !self.terminal.listening(self.mono()) {
            self.emit(Effect::ClearPending);
        }
        self.after_record(record, seq, hash, ts);
        self.count_sale(record);
        self.count_on_account(record);
        self.last_sale = Some((seq, record.sale_no.clone()));
        self.screen = Screen::Done {
            title: self.trf(Till::SaleRecorded, &[("sale", &record.sale_no)]),
            big: self.trf(Till::ChangeDue, &[("amount", &self.money(record.change))]),
            detail: self.trf(Till::TotalIs, &[("amount", &self.money(record.total))]),
        };
    }

    /// The drawer (if cash moved) and the receipt, once a record is durable.
    fn after_record(
        &mut self,
        record: &SaleRecord,
        seq: u64,
        hash: &[u8; 32],
        ts: DateTime<FixedOffset>,
    ) {
        if self.opens_drawer(&record.tenders) {
            self.emit(Effect::Device(Job::OpenDrawer));
        }
        self.print(record, seq, hash, ts, 0);
    }

    pub(crate) fn print(
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
            terminal_id: self.terminal_id.clone(),
            seq,
            date_time: ts.naive_local(),
            operator_name,
            signature_extract: hex8(hash),
            software_version: crate::VERSION.to_string(),
            reprint_count: reprint,
        };
        let mut receipt =
            Receipt::from_record(record, &self.settings.shop, &extras, self.currency());
        self.receipt_tenders(&mut receipt, &record.tenders);
        // The customer's name beside their number, when this till knows them.
        if let Some(c) = record.customer.as_ref().and_then(|n| self.customers.get(n)) {
            receipt.customer = Some(format!("{} {}", c.number, c.name));
        }
        match render_receipt_with_logo(&receipt, self.settings.layout, self.settings.logo.as_ref())
        {
            Ok(bytes) => self.emit(Effect::Device(Job::Print {
                what: record.sale_no.clone(),
                bytes,
            })),
            Err(e) => {
                self.error(self.trf(
                    Till::NotPrintable,
                    &[("sale", &record.sale_no), ("why", &e)],
                ));
                self.status.unprinted.push(record.sale_no.clone());
            }
        }
    }

    /// Prints a report (X, Z) as plain text: the printer's own font, PC858.
    pub(crate) fn print_report(&mut self, what: &str, text: &str) {
        let bytes = crate::report::report_bytes(text, self.settings.layout.code_page);
        self.emit(Effect::Device(Job::Print {
            what: what.to_string(),
            bytes,
        }));
    }

    /// Commits a refund or cancellation whose card tenders (if any) are
    /// paid back already.
    pub(crate) fn commit_reversal_now(
        &mut self,
        record: SaleRecord,
        cancelled: bool,
        from: ReversalFrom,
    ) {
        let ts = self.now();
        let event = if cancelled {
            Event::SaleCancelled(record.clone())
        } else {
            Event::Refund(record.clone())
        };
        self.emit(Effect::Append {
            ts,
            event,
            clear_basket: false,
            then: Then::Reversal {
                record: Box::new(record),
                cancelled,
                from,
            },
        });
    }

    fn reversal_recorded(
        &mut self,
        record: &SaleRecord,
        cancelled: bool,
        seq: u64,
        hash: &[u8; 32],
        ts: DateTime<FixedOffset>,
    ) {
        self.emit(Effect::ClearPending);
        self.after_record(record, seq, hash, ts);
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
            .map(|t| format!("{} {}", self.tender_label(t.kind), self.money(-t.amount)))
            .collect();
        let total = self.money(record.total);
        self.screen = Screen::Done {
            title: self.trf(
                if cancelled {
                    Till::CancelRecorded
                } else {
                    Till::RefundRecorded
                },
                &[("sale", &record.sale_no)],
            ),
            big: self.trf(Till::CashBack, &[("amount", &self.money(cash))]),
            detail: if others.is_empty() {
                self.trf(Till::TotalIs, &[("amount", &total)])
            } else {
                self.trf(
                    Till::TotalAndOthers,
                    &[("amount", &total), ("others", &others.join(", "))],
                )
            },
        };
    }

    /// An [`Effect::Append`] is durable: go on with what it was for.
    pub(crate) fn journaled(
        &mut self,
        then: Then,
        seq: u64,
        hash: &[u8; 32],
        ts: DateTime<FixedOffset>,
    ) {
        match then {
            Then::Nothing | Then::Silent => {}
            Then::Approved { op, rec } => self.approved_op(op, rec),
            Then::LoggedIn(user) => self.logged_in(user),
            Then::Lockout { secs, in_dialog } => self.locked_out(secs, in_dialog, None),
            Then::NoSale => {
                self.emit(Effect::Device(Job::OpenDrawer));
                self.info(self.tr(Till::DrawerOpenedNoSale));
            }
            Then::CashMove { direction, amount } => {
                self.emit(Effect::Device(Job::OpenDrawer));
                self.screen = Screen::Sale;
                let msg = match direction {
                    till_core::records::CashDirection::In => Till::CashInRecorded,
                    till_core::records::CashDirection::Out => Till::CashOutRecorded,
                };
                self.info(self.trf(msg, &[("amount", &self.money(amount))]));
            }
            Then::Sale(record) => self.sale_recorded(&record, seq, hash, ts),
            Then::Reversal {
                record, cancelled, ..
            } => self.reversal_recorded(&record, cancelled, seq, hash, ts),
            Then::Reprint { found, count } => self.reprinted(&found, count),
            Then::Abandoned(r) => self.abandon_recorded(&r),
            Then::Unattached {
                attempt,
                tp,
                amount,
            } => self.unattached_recorded(&attempt, *tp, amount, None),
        }
    }

    /// An [`Effect::Append`] was refused: nothing was recorded; say so
    /// where the cashier is.
    pub(crate) fn journal_failed(&mut self, then: Then, why: &str, full: &str) {
        match then {
            Then::Silent => {}
            Then::Nothing | Then::Approved { .. } | Then::LoggedIn(_) => {
                self.error(self.trf(Till::JournalDown, &[("why", &why)]))
            }
            Then::Lockout { secs, in_dialog } => self.locked_out(secs, in_dialog, Some(why)),
            Then::NoSale | Then::CashMove { .. } => self.error(full.to_string()),
            Then::Sale(_) => self.error(self.trf(Till::SaleNotRecorded, &[("why", &full)])),
            Then::Reversal { from, .. } => {
                let e = self.trf(Till::NotRecorded, &[("why", &full)]);
                if from == ReversalFrom::Terminal {
                    self.screen = Screen::CardRefund { why: e.clone() };
                }
                self.error(e);
            }
            Then::Reprint { .. } => self.error(self.trf(Till::ReprintFailed, &[("why", &full)])),
            Then::Abandoned(_) => self.abandon_failed(full),
            Then::Unattached {
                attempt,
                tp,
                amount,
            } => self.unattached_recorded(&attempt, *tp, amount, Some(why)),
        }
    }
}

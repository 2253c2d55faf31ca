//! `till simulate`: trading days pushed through the real sale rules and the real
//! journal. Deterministic for a seed, so it doubles as a fixture and a load
//! generator. Only the clock is simulated: every sale goes through `Basket`,
//! every record through `Journal::append`.

use crate::demo;
use crate::rng::Rng;
use crate::users::ensure_demo_users_at;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use till_core::auth::{approve, User};
use till_core::basket::{Basket, BasketConfig, Discount};
use till_core::records::{
    CardOutcome, CashDirection, CashMovement, ClosingKind, DrawerOpened, Event, ReceiptReprinted,
    SaleRecord, SaleRef, Session, StockLine, StockMovement, StockReason, TenderKind, TenderRecord,
    Unit,
};
use till_core::refund::{
    cancel as cancel_sale, refund_lines, refund_without_receipt, AlreadyRefunded, Reversal,
};
use till_core::{Catalog, Item, SaleError};
use till_journal::{Journal, OpenOptions};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub db: PathBuf,
    /// The signing key file; default: the database path + ".key".
    pub key: Option<PathBuf>,
    /// Sales in all (refunds and cancellations come on top).
    pub sales: u64,
    pub days: u32,
    pub seed: u64,
    /// The first trading day of a new journal; an existing one continues the
    /// day after its last daily closing.
    pub start: NaiveDate,
    pub terminal_id: String,
    pub shop_id: String,
    /// Use a synthetic catalog of this many items instead of the demo grocery.
    pub items: Option<usize>,
    /// Print "ack SEQ HASH" on stdout after each sale is durably committed.
    pub ack: bool,
    /// Save the basket in progress after every change, as the counter app does.
    pub persist_basket: bool,
    /// Print each day's Z report as it closes.
    pub print_reports: bool,
    /// Commit this many events per transaction (1 = each on its own, as at the
    /// counter). Larger batches generate big journals fast for benchmarks.
    pub batch: usize,
}

/// What a simulation did.
#[derive(Debug, Clone, Default)]
pub struct SimSummary {
    pub sales: u64,
    pub refunds: u64,
    pub cancellations: u64,
    pub events_appended: u64,
    pub closed_days: Vec<NaiveDate>,
    pub head_seq: u64,
}

/// Paris in winter. A real till takes the offset from the system clock; the
/// simulator keeps one fixed offset so a seed always yields the same bytes.
fn offset() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

fn at(day: NaiveDate, minutes_after_nine: i64) -> Result<DateTime<FixedOffset>> {
    let naive = day.and_hms_opt(9, 0, 0).context("building a time of day")?
        + Duration::minutes(minutes_after_nine);
    offset()
        .from_local_datetime(&naive)
        .single()
        .context("local time does not exist")
}

pub fn key_path_for(db: &std::path::Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".key");
    PathBuf::from(s)
}

struct Sim<'a> {
    journal: Journal,
    catalog: Catalog,
    rng: Rng,
    cashier: User,
    supervisor: User,
    manager: User,
    opts: &'a SimOptions,
    out: &'a mut dyn Write,
    summary: SimSummary,
    /// Today's completed sales, candidates for a refund.
    today: Vec<(u64, SaleRecord)>,
    /// Refunds and cancellations so far, by the seq of the sale they reverse.
    reversals: HashMap<u64, Vec<SaleRecord>>,
    average: Option<Decimal>,
    /// Seq the next append gets, and the next receipt number.
    next_seq: u64,
    next_sale: u64,
    /// Events queued for the next batch (bulk mode).
    pending: Vec<(DateTime<FixedOffset>, Event)>,
    /// Trading days simulated so far in this run.
    day_index: u64,
}

pub fn run(opts: &SimOptions, out: &mut dyn Write) -> Result<SimSummary> {
    if let Some(dir) = opts.db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the data folder {}", dir.display()))?;
    }
    // A new journal's genesis record is dated at the opening of the first day.
    let journal = Journal::open_at(
        &opts.db,
        OpenOptions {
            terminal_id: opts.terminal_id.clone(),
            shop_id: opts.shop_id.clone(),
            key_path: opts.key.clone().unwrap_or_else(|| key_path_for(&opts.db)),
            software_version: crate::VERSION.to_string(),
        },
        at(opts.start, -120)?,
    )
    .with_context(|| format!("opening the journal {}", opts.db.display()))?;
    let users = ensure_demo_users_at(&journal, at(opts.start, -119)?)?;
    let (items, patterns) = match opts.items {
        Some(n) => (demo::synthetic_catalog(n)?, demo::patterns()?),
        None => demo::catalog()?,
    };
    let catalog = Catalog::new(items, patterns).context("building the catalog")?;
    let find = |id: &str| users.iter().find(|u| u.id == id).cloned();
    let (Some(cashier), Some(supervisor), Some(manager)) = (find("c1"), find("s1"), find("m1"))
    else {
        bail!("the demo users are missing from the journal");
    };
    let mut sim = Sim {
        journal,
        catalog,
        rng: Rng::new(opts.seed),
        cashier,
        supervisor,
        manager,
        opts,
        out,
        summary: SimSummary::default(),
        today: Vec::new(),
        reversals: HashMap::new(),
        average: None,
        next_seq: 0,
        next_sale: 0,
        pending: Vec::new(),
        day_index: 0,
    };
    sim.next_seq = sim.journal.head()?.0 + 1;
    sim.next_sale = sim.journal.next_sale_no()?;
    sim.run()?;
    sim.flush()?;
    sim.summary.head_seq = sim.journal.head()?.0;
    Ok(sim.summary)
}

impl Sim<'_> {
    /// Appends an event, or queues it when simulating in batches (bulk
    /// generation for benchmarks: one transaction per batch instead of one
    /// per event). Seqs are known in advance: this is the journal's only writer.
    fn append(&mut self, ts: DateTime<FixedOffset>, event: &Event) -> Result<u64> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.summary.events_appended += 1;
        if self.opts.batch > 1 {
            self.pending.push((ts, event.clone()));
            if self.pending.len() >= self.opts.batch {
                self.flush()?;
            }
            return Ok(seq);
        }
        let a = if self.opts.persist_basket && event.sale().is_some() {
            self.journal.append_and_clear_basket(ts, event)?
        } else {
            self.journal.append(ts, event)?
        };
        if a.seq != seq {
            bail!(
                "another process is writing to this journal (expected seq {seq}, got {})",
                a.seq
            );
        }
        if self.opts.ack && event.kind() == "sale_completed" {
            writeln!(self.out, "ack {} {}", a.seq, hex_of(&a.hash))?;
            self.out.flush()?;
        }
        Ok(seq)
    }

    fn flush(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            self.journal.append_batch(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    fn next_sale_no(&mut self) -> String {
        let n = self.next_sale;
        self.next_sale += 1;
        format!("{}-{:06}", self.opts.terminal_id, n)
    }

    fn first_day(&self) -> Result<NaiveDate> {
        let last_closed = self
            .journal
            .closings()?
            .into_iter()
            .filter(|(kind, _, _)| kind == ClosingKind::Day.as_str())
            .filter_map(|(_, period, _)| period.parse::<NaiveDate>().ok())
            .max();
        Ok(match last_closed {
            Some(d) => d.succ_opt().context("date overflow")?,
            None => self.opts.start,
        })
    }

    fn run(&mut self) -> Result<()> {
        let days = self.opts.days.max(1) as u64;
        let mut day = self.first_day()?;
        if self.journal.stock_levels()?.is_empty() {
            self.receive_goods(day, None)?;
        }
        let mut left = self.opts.sales;
        for d in 0..days {
            let todays = left / (days - d);
            left -= todays;
            self.trade_day(day, todays)?;
            let next = day.succ_opt().context("date overflow")?;
            if next.month() != day.month() {
                self.close(
                    day,
                    ClosingKind::Month,
                    &format!("{:04}-{:02}", day.year(), day.month()),
                )?;
            }
            if next.year() != day.year() {
                self.close(day, ClosingKind::Year, &format!("{:04}", day.year()))?;
            }
            day = next;
        }
        Ok(())
    }

    fn receive_goods(&mut self, day: NaiveDate, only: Option<usize>) -> Result<()> {
        let items: Vec<&Item> = self
            .catalog
            .items()
            .iter()
            .filter(|i| i.stock_tracked)
            .collect();
        let lines = items
            .iter()
            .take(only.unwrap_or(usize::MAX))
            .map(|i| StockLine {
                item_id: i.id.clone(),
                delta: match i.unit {
                    Unit::Piece => Decimal::from(500),
                    Unit::Kg => Decimal::from(400),
                },
                counted: None,
            })
            .collect();
        let ev = Event::StockMovement(StockMovement {
            reason: StockReason::GoodsReceived,
            reference: Some(format!("BL-{}", day.format("%Y%m%d"))),
            other_shop: None,
            operator: self.supervisor.id.clone(),
            lines,
        });
        self.append(at(day, -60)?, &ev)?;
        Ok(())
    }

    fn trade_day(&mut self, day: NaiveDate, sales: u64) -> Result<()> {
        self.today.clear();
        self.day_index += 1;
        self.stock_housekeeping(day)?;
        let cashier = Session {
            user: self.cashier.id.clone(),
        };
        self.append(at(day, -5)?, &Event::Login(cashier.clone()))?;
        self.append(
            at(day, -4)?,
            &Event::CashMovement(CashMovement {
                direction: CashDirection::In,
                amount: Decimal::from(150),
                reason: "fond de caisse".into(),
                operator: self.cashier.id.clone(),
                approved_by: Some(self.supervisor.id.clone()),
                business_day: day,
            }),
        )?;
        // Ten hours of trading, sales evenly spread.
        let step = if sales == 0 {
            0
        } else {
            (600 * 60 / sales as i64).max(1)
        };
        for n in 0..sales {
            let ts = at(day, 0)? + Duration::seconds(step * n as i64);
            self.one_sale(day, ts)?;
            if self.rng.chance(2) {
                self.refund_one(day, ts + Duration::seconds(20))?;
            }
            if self.rng.below(1000) < 5 {
                self.reprint_last(ts + Duration::seconds(25))?;
            }
            if self.rng.below(1000) < 3 {
                self.refund_without_receipt(day, ts + Duration::seconds(27))?;
            }
            if self.rng.chance(1) {
                self.append(
                    ts + Duration::seconds(30),
                    &Event::DrawerOpened(DrawerOpened {
                        operator: self.cashier.id.clone(),
                        approved_by: Some(self.supervisor.id.clone()),
                        reason: "monnaie".into(),
                    }),
                )?;
            }
        }
        self.flush()?;
        let totals = self
            .journal
            .period_totals(ClosingKind::Day, &day.to_string())?;
        let cash_sales = totals.by_tender.get("cash").copied().unwrap_or_default();
        let deposit =
            (cash_sales + totals.cash_in - totals.cash_out - Decimal::from(150)).max(Decimal::ZERO);
        if deposit > Decimal::ZERO {
            self.append(
                at(day, 601)?,
                &Event::CashMovement(CashMovement {
                    direction: CashDirection::Out,
                    amount: deposit,
                    reason: "remise en banque".into(),
                    operator: self.cashier.id.clone(),
                    approved_by: Some(self.supervisor.id.clone()),
                    business_day: day,
                }),
            )?;
        }
        self.append(at(day, 602)?, &Event::Logout(cashier))?;
        self.close(day, ClosingKind::Day, &day.to_string())?;
        self.summary.closed_days.push(day);
        Ok(())
    }

    fn close(&mut self, day: NaiveDate, kind: ClosingKind, period: &str) -> Result<()> {
        self.flush()?;
        let totals = self.journal.period_totals(kind, period)?;
        let mut counted = BTreeMap::new();
        if kind == ClosingKind::Day {
            let cash = totals.by_tender.get("cash").copied().unwrap_or_default();
            counted.insert("cash".to_string(), cash + totals.cash_in - totals.cash_out);
        }
        self.journal
            .close(at(day, 610)?, kind, period, &self.supervisor.id, counted)
            .with_context(|| format!("closing {} {period}", kind.as_str()))?;
        self.summary.events_appended += 1;
        self.next_seq += 1;
        if self.opts.print_reports && kind == ClosingKind::Day {
            let report = crate::report::period_report(&self.journal, kind, period)?;
            writeln!(self.out, "{report}")?;
        }
        Ok(())
    }

    /// The demo supervisor approves what a supervisor may; the manager the rest.
    fn approver_for(&self, req: &till_core::ApprovalRequired) -> &User {
        if req.min_role == self.supervisor.role {
            &self.supervisor
        } else {
            &self.manager
        }
    }

    /// Runs `op` on the basket; if the rules ask for a supervisor, the demo
    /// supervisor approves (as they would at the counter, with their PIN) and the
    /// same operation is tried again.
    fn approved<T>(
        &self,
        basket: &mut Basket,
        mut op: impl FnMut(&mut Basket) -> Result<T, SaleError>,
    ) -> Result<T> {
        for _ in 0..4 {
            match op(basket) {
                Ok(v) => return Ok(v),
                Err(SaleError::ApprovalRequired(req)) => {
                    let record = approve(&req, self.approver_for(&req), &self.cashier)?;
                    basket.add_approval(record);
                }
                Err(e) => return Err(e.into()),
            }
        }
        bail!("an operation still asked for approval after being approved")
    }

    fn save(&self, basket: &Basket) -> Result<()> {
        if self.opts.persist_basket {
            let bytes = serde_json::to_vec(basket)?;
            self.journal.save_basket(&bytes)?;
        }
        Ok(())
    }

    fn one_sale(&mut self, day: NaiveDate, ts: DateTime<FixedOffset>) -> Result<()> {
        let mut basket = Basket::new(BasketConfig::default(), &self.cashier);
        basket.rolling_average = self.average;
        let lines = self.rng.range(1, 8);
        for _ in 0..lines {
            let idx = self.rng.below(self.catalog.len() as u64) as usize;
            let Some(item) = self.catalog.items().get(idx).cloned() else {
                continue;
            };
            let (code, qty) = match item.unit {
                Unit::Kg => (
                    demo::weight_label(&item.id, self.rng.range(150, 2500) as u32)?,
                    None,
                ),
                Unit::Piece => {
                    let code = item.barcodes.first().cloned().unwrap_or(item.id.clone());
                    let qty = if self.rng.chance(15) {
                        Some(Decimal::from(self.rng.range(2, 4)))
                    } else {
                        None
                    };
                    (code, qty)
                }
            };
            let catalog = &self.catalog;
            let line_no = self.approved(&mut basket, |b| b.add_code(catalog, &code, qty))?;
            if self.rng.chance(5) {
                let d = Discount::Percent(Decimal::from(10));
                self.approved(&mut basket, |b| {
                    b.set_line_discount(line_no, Some(d.clone()))
                })?;
            }
            self.save(&basket)?;
        }
        if self.rng.chance(3) {
            let d = Discount::Percent(Decimal::from(5));
            self.approved(&mut basket, |b| b.set_basket_discount(Some(d.clone())))?;
        }
        self.pay(&mut basket)?;
        self.save(&basket)?;
        let sale_no = self.next_sale_no();
        let record = basket.complete(&sale_no, day, &self.cashier.id)?;
        // Each supervisor approval is an event of its own, as at the counter,
        // besides being listed in the sale it allowed.
        for a in &record.approvals {
            self.append(ts, &Event::ApprovalGranted(a.clone()))?;
        }
        let total = record.total;
        let seq = self.append(ts, &Event::SaleCompleted(record.clone()))?;
        self.summary.sales += 1;
        // A rolling average over roughly the last fifty baskets.
        self.average = Some(match self.average {
            None => total,
            Some(avg) => (avg * Decimal::from(49) + total) / Decimal::from(50),
        });
        self.today.push((seq, record));
        Ok(())
    }

    fn pay(&mut self, basket: &mut Basket) -> Result<()> {
        let due = basket.payment_status().remaining;
        let card = |amount| TenderRecord {
            kind: TenderKind::Card,
            amount,
            reference: None,
            card: Some(CardOutcome {
                approved: true,
                masked_pan: Some("************4242".into()),
                auth_code: Some("A1B2C3".into()),
                scheme: Some("CB".into()),
                read_mode: Some("contactless".into()),
                terminal_reference: None,
            }),
        };
        let roll = self.rng.below(100);
        if roll < 60 {
            // Cash, handed over rounded up to a note or coin: change comes back.
            let notes = [
                Decimal::from(5),
                Decimal::from(10),
                Decimal::from(20),
                Decimal::from(50),
            ];
            let given = notes
                .iter()
                .map(|n| (due / n).ceil() * n)
                .find(|g| *g >= due)
                .unwrap_or(due);
            self.approved(basket, |b| b.pay_cash(given))?;
        } else if roll < 85 {
            self.approved(basket, |b| b.pay(card(due)))?;
        } else if roll < 93 && due > Decimal::from(10) {
            let part = Decimal::from(10);
            self.approved(basket, |b| b.pay(card(due - part)))?;
            self.approved(basket, |b| b.pay_cash(part))?;
        } else if roll < 97 {
            let cheque = TenderRecord {
                kind: TenderKind::Cheque,
                amount: due,
                reference: Some(format!("CHQ{:07}", self.rng.below(10_000_000))),
                card: None,
            };
            self.approved(basket, |b| b.pay(cheque.clone()))?;
        } else {
            let voucher = Decimal::from(5).min(due);
            let v = TenderRecord {
                kind: TenderKind::Voucher,
                amount: voucher,
                reference: Some(format!("BON{:05}", self.rng.below(100_000))),
                card: None,
            };
            self.approved(basket, |b| b.pay(v.clone()))?;
            let rest = basket.payment_status().remaining;
            if rest > Decimal::ZERO {
                self.approved(basket, |b| b.pay_cash(rest))?;
            }
        }
        Ok(())
    }

    /// The back office side of a day: a fifth of the range is delivered
    /// (every item every five days), now and then a breakage, a transfer to
    /// the sister shop, and a weekly count of one item.
    fn stock_housekeeping(&mut self, day: NaiveDate) -> Result<()> {
        let items: Vec<Item> = self
            .catalog
            .items()
            .iter()
            .filter(|i| i.stock_tracked)
            .cloned()
            .collect();
        if items.is_empty() {
            return Ok(());
        }
        if self.day_index > 1 {
            let slot = self.day_index % 5;
            let lines = items
                .iter()
                .enumerate()
                .filter(|(n, _)| *n as u64 % 5 == slot)
                .map(|(_, i)| StockLine {
                    item_id: i.id.clone(),
                    delta: match i.unit {
                        Unit::Piece => Decimal::from(500),
                        Unit::Kg => Decimal::from(400),
                    },
                    counted: None,
                })
                .collect();
            self.stock_event(day, -50, StockReason::GoodsReceived, lines, None)?;
        }
        let one = |rng: &mut Rng| items[rng.below(items.len() as u64) as usize].id.clone();
        if self.rng.chance(30) {
            let item_id = one(&mut self.rng);
            let line = StockLine {
                item_id,
                delta: Decimal::from(-1),
                counted: None,
            };
            self.stock_event(day, -40, StockReason::Adjustment, vec![line], None)?;
        }
        if self.rng.chance(10) {
            let item_id = one(&mut self.rng);
            let line = StockLine {
                item_id,
                delta: Decimal::from(-5),
                counted: None,
            };
            self.stock_event(
                day,
                -35,
                StockReason::TransferOut,
                vec![line],
                Some("SHOP02"),
            )?;
        }
        if self.day_index % 7 == 0 {
            // A count is a delta against the level at the time: read it.
            self.flush()?;
            let item_id = one(&mut self.rng);
            let level = self.journal.stock_level(&item_id)?;
            let counted = (level - Decimal::ONE).max(Decimal::ZERO);
            let line = StockLine {
                item_id,
                delta: counted - level,
                counted: Some(counted),
            };
            self.stock_event(day, -30, StockReason::InventoryCount, vec![line], None)?;
        }
        Ok(())
    }

    fn stock_event(
        &mut self,
        day: NaiveDate,
        minutes: i64,
        reason: StockReason,
        lines: Vec<StockLine>,
        other_shop: Option<&str>,
    ) -> Result<()> {
        let ev = Event::StockMovement(StockMovement {
            reason,
            reference: Some(format!("{}-{}", reason.as_str(), day.format("%Y%m%d"))),
            other_shop: other_shop.map(str::to_string),
            operator: self.supervisor.id.clone(),
            lines,
        });
        self.append(at(day, minutes)?, &ev)?;
        Ok(())
    }

    /// The customer asks for another copy of their receipt: a DUPLICATA.
    fn reprint_last(&mut self, ts: DateTime<FixedOffset>) -> Result<()> {
        let Some((seq, sale)) = self.today.last() else {
            return Ok(());
        };
        let ev = Event::ReceiptReprinted(ReceiptReprinted {
            sale: SaleRef {
                terminal_id: self.opts.terminal_id.clone(),
                seq: *seq,
                sale_no: sale.sale_no.clone(),
            },
            reprint_count: 1,
            operator: self.cashier.id.clone(),
        });
        self.append(ts, &ev)?;
        Ok(())
    }

    /// An article brought back without its receipt: refunded in cash, with a
    /// supervisor's approval, and flagged for head office.
    fn refund_without_receipt(&mut self, day: NaiveDate, ts: DateTime<FixedOffset>) -> Result<()> {
        let idx = self.rng.below(self.catalog.len() as u64) as usize;
        let Some(item) = self.catalog.items().get(idx).cloned() else {
            return Ok(());
        };
        if item.unit != Unit::Piece {
            return Ok(());
        }
        let sale_no = self.next_sale_no();
        let mut ctx = Reversal::new(&sale_no, day, &self.cashier);
        let record = loop {
            match refund_without_receipt(&[(&item, Decimal::ONE)], TenderKind::Cash, &ctx) {
                Ok(r) => break r,
                Err(SaleError::ApprovalRequired(req)) if ctx.approvals.len() < 4 => {
                    let a = approve(&req, self.approver_for(&req), &self.cashier)?;
                    self.append(ts, &Event::ApprovalGranted(a.clone()))?;
                    ctx.approvals.push(a);
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.append(ts, &Event::Refund(record))?;
        self.summary.refunds += 1;
        Ok(())
    }

    /// A customer comes back: usually one article of an earlier sale of the day
    /// is returned; now and then the whole previous sale is cancelled.
    fn refund_one(&mut self, day: NaiveDate, ts: DateTime<FixedOffset>) -> Result<()> {
        if self.today.is_empty() {
            return Ok(());
        }
        let cancel = self.rng.chance(25);
        let idx = if cancel {
            self.today.len() - 1
        } else {
            self.rng.below(self.today.len() as u64) as usize
        };
        let (seq, original) = self.today[idx].clone();
        let earlier = self.reversals.get(&seq).cloned().unwrap_or_default();
        if cancel && !earlier.is_empty() {
            return Ok(());
        }
        let already = AlreadyRefunded::from_refunds(earlier.iter());
        let original_ref = SaleRef {
            terminal_id: self.opts.terminal_id.clone(),
            seq,
            sale_no: original.sale_no.clone(),
        };
        let sale_no = self.next_sale_no();
        let mut ctx = Reversal::new(&sale_no, day, &self.cashier);
        let line = self.rng.pick(&original.lines).cloned();
        let record = loop {
            let attempt = if cancel {
                cancel_sale(&original, original_ref.clone(), &ctx, &already)
            } else {
                let Some(line) = &line else { return Ok(()) };
                let left = line.quantity
                    - already
                        .quantities
                        .get(&line.line_no)
                        .copied()
                        .unwrap_or_default();
                if left <= Decimal::ZERO {
                    return Ok(());
                }
                refund_lines(
                    &original,
                    original_ref.clone(),
                    &[(line.line_no, left.min(Decimal::ONE))],
                    &ctx,
                    &already,
                )
            };
            match attempt {
                Ok(r) => break r,
                Err(SaleError::ApprovalRequired(req)) if ctx.approvals.len() < 4 => {
                    let a = approve(&req, self.approver_for(&req), &self.cashier)?;
                    self.append(ts, &Event::ApprovalGranted(a.clone()))?;
                    ctx.approvals.push(a);
                }
                Err(e) => return Err(e.into()),
            }
        };
        let event = if cancel {
            Event::SaleCancelled(record.clone())
        } else {
            Event::Refund(record.clone())
        };
        self.append(ts, &event)?;
        if cancel {
            self.summary.cancellations += 1;
        } else {
            self.summary.refunds += 1;
        }
        self.reversals.entry(seq).or_default().push(record);
        Ok(())
    }
}

pub fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

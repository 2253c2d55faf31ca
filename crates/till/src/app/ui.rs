//! Draws the app with ratatui. Reads [`App`], changes nothing. Laid out for
//! an 80x25 console (the Linux console at 1024x768 with a 8x16 font is
//! 128x48): header, main area, input and message, keys, status line.

use super::counter::{Level, Purpose, Screen, MENU};
use super::shell::App;
use super::words;
use comptoir_i18n::till::Till;
use comptoir_i18n::Template;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;
use rust_decimal::Decimal;

const HILITE: Style = Style::new().fg(Color::Black).bg(Color::Cyan);

/// Draws one frame.
pub fn draw(f: &mut Frame, app: &App) {
    // The message under the input wraps at word boundaries: as many lines
    // as it needs (three at most), never cut mid-word.
    let message_rows = super::ui_status::message_lines(app, f.area().width).len() as u16;
    let [header, main, input, keys, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(1 + message_rows.max(1)),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    draw_header(f, header, app);
    match &app.screen {
        Screen::Login => draw_login(f, main, app),
        Screen::Sale | Screen::Payment => draw_sale(f, main, app),
        Screen::Search { results, sel } => draw_search(f, main, app, results, *sel),
        Screen::Done { title, big, detail } => {
            let text = vec![
                Line::from(""),
                Line::from(Span::styled(
                    title.clone(),
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from(Span::styled(
                    big.clone(),
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                )),
                Line::from(detail.clone()),
                Line::from(""),
                Line::from(app.tr(Till::AnyKeyNext)),
            ];
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(app.tr(Till::Done))),
                main,
            );
        }
        Screen::Paying { title } => {
            let text = vec![
                Line::from(""),
                Line::from(Span::styled(
                    title.clone(),
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from(app.tr(Till::CustomerFollows)),
                Line::from(app.tr(Till::TillWaits)),
            ];
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(app.tr(Till::Terminal))),
                main,
            );
        }
        Screen::CardRefund { why } => {
            let text = vec![
                Line::from(""),
                Line::from(Span::styled(
                    app.tr(Till::CardRefundNotDone),
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(why.clone()),
                Line::from(""),
                Line::from(app.tr(Till::CardRefundRetry)),
                Line::from(app.tr(Till::CardRefundCash)),
                Line::from(app.tr(Till::CardRefundGiveUp)),
            ];
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(app.tr(Till::Terminal))),
                main,
            );
        }
        Screen::LateApproval => {
            let mut text = vec![Line::from("")];
            if let Some(tp) = &app.terminal.late {
                text.push(Line::from(Span::styled(
                    app.trf(Till::LateApproved, &[("amount", &app.money(tp.amount))]),
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                )));
                text.push(Line::from(app.trf(
                    Till::LateCard,
                    &[
                        ("card", &tp.outcome.masked_pan.as_deref().unwrap_or("?")),
                        ("auth", &tp.outcome.auth_code.as_deref().unwrap_or("?")),
                        ("reference", &tp.reference),
                    ],
                )));
            }
            text.push(Line::from(""));
            text.push(Line::from(app.tr(Till::LateCharged)));
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(app.tr(Till::Terminal))),
                main,
            );
        }
        Screen::Menu { sel } => {
            let lines: Vec<Line> = MENU
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let key = if i == 9 { 0 } else { i + 1 };
                    let l = Line::from(format!(" {key}  {}", app.tr(*m)));
                    if i == *sel {
                        l.style(HILITE)
                    } else {
                        l
                    }
                })
                .collect();
            f.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(app.tr(Till::MenuTitle))),
                main,
            );
        }
        Screen::ReceiptNo { purpose } => {
            let what = app.tr(match purpose {
                Purpose::Refund => Till::PurposeRefund,
                Purpose::Cancel => Till::PurposeCancel,
                Purpose::Reprint => Till::PurposeReprint,
            });
            let example = format!("{}-000012", app.terminal_id());
            let text = vec![
                Line::from(""),
                Line::from(app.trf(Till::WhichReceipt, &[("what", &what)])),
                Line::from(app.trf(
                    if *purpose == Purpose::Reprint {
                        Till::ReceiptExampleLast
                    } else {
                        Till::ReceiptExample
                    },
                    &[("example", &example)],
                )),
            ];
            f.render_widget(
                Paragraph::new(text).block(Block::bordered().title(format!(" {what} "))),
                main,
            );
        }
        Screen::Customers { results, sel } => draw_customers(f, main, app, results, *sel),
        Screen::Searching { sale_no, .. } => {
            f.render_widget(
                Paragraph::new(vec![
                    Line::from(""),
                    Line::from(app.trf(Till::Searching, &[("sale", sale_no)])),
                ])
                .block(Block::bordered().title(app.tr(Till::SearchBox))),
                main,
            );
        }
        Screen::Refund(st) => {
            let mut lines = vec![Line::from(app.trf(
                Till::RefundHeader,
                &[
                    ("sale", &st.found.record.sale_no),
                    ("day", &app.day_text(st.found.record.business_day)),
                    ("total", &app.money(st.found.record.total)),
                ],
            ))];
            let fmt = app.fmt();
            let left_word = app.tr(Till::RefundLeft);
            for (i, (line_no, left)) in st.left.iter().enumerate() {
                let name = st
                    .found
                    .record
                    .lines
                    .iter()
                    .find(|l| l.line_no == *line_no)
                    .map(|l| l.name.as_str())
                    .unwrap_or("?");
                let pick = st
                    .picks
                    .get(line_no)
                    .map(|q| app.trf(Till::RefundGive, &[("qty", &words::qty(&fmt, *q))]))
                    .unwrap_or_default();
                let l = Line::from(format!(
                    " {line_no:>3} {:<30} {left_word} {:>6} {pick}",
                    cut(name, 30),
                    words::qty(&fmt, *left)
                ));
                lines.push(if i == st.sel { l.style(HILITE) } else { l });
            }
            f.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(app.tr(Till::RefundBox))),
                main,
            );
        }
        Screen::RefundNoReceipt { items } => {
            let mut lines = vec![Line::from(app.tr(Till::RefundNoReceiptHelp))];
            let fmt = app.fmt();
            for (id, q) in items {
                let (name, price) = app
                    .catalog
                    .get(id)
                    .map(|i| (i.name.clone(), i.price))
                    .unwrap_or_default();
                lines.push(Line::from(format!(
                    " {:<32} {:>6} x {}",
                    cut(&name, 32),
                    words::qty(&fmt, *q),
                    app.money(price)
                )));
            }
            f.render_widget(
                Paragraph::new(lines)
                    .block(Block::bordered().title(app.tr(Till::RefundNoReceiptBox))),
                main,
            );
        }
        Screen::Resume { sel } => {
            let lines: Vec<Line> = app
                .parked
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let n = p.basket.lines().iter().filter(|l| !l.voided).count();
                    let l = Line::from(format!(
                        " {:>2}. {}  {}  {}",
                        i + 1,
                        p.at,
                        app.trf(Till::ParkedRow, &[("n", &n)]),
                        app.money(p.basket.totals().total)
                    ));
                    if i == *sel {
                        l.style(HILITE)
                    } else {
                        l
                    }
                })
                .collect();
            f.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(app.tr(Till::ParkedBox))),
                main,
            );
        }
        Screen::CashMove { direction } => {
            let what = app.tr(match direction {
                till_core::records::CashDirection::In => Till::MenuCashIn,
                till_core::records::CashDirection::Out => Till::MenuCashOut,
            });
            f.render_widget(
                Paragraph::new(vec![
                    Line::from(""),
                    Line::from(app.tr(Till::AmountThenEnter)),
                ])
                .block(Block::bordered().title(format!(" {what} "))),
                main,
            );
        }
        Screen::Report { title, text } => {
            f.render_widget(
                Paragraph::new(text.clone())
                    .block(Block::bordered().title(format!(" {title} ")))
                    .wrap(Wrap { trim: false })
                    .scroll((app.report_scroll, 0)),
                main,
            );
        }
        Screen::CashCount { rows, sel } => {
            let mut lines = vec![Line::from(format!(
                " {:<16} {:>14} {:>14} {:>12}",
                app.tr(Till::CountTender),
                app.tr(Till::CountExpected),
                app.tr(Till::CountCounted),
                app.tr(Till::CountDiff)
            ))];
            for (i, r) in rows.iter().enumerate() {
                let counted = r
                    .counted
                    .map(|c| app.money(c))
                    .unwrap_or_else(|| "-".into());
                let diff = r
                    .counted
                    .map(|c| app.money(c - r.expected))
                    .unwrap_or_default();
                let l = Line::from(format!(
                    " {:<16} {:>14} {:>14} {:>12}",
                    cut(&app.tender_named(&r.tender), 16),
                    app.money(r.expected),
                    counted,
                    diff
                ));
                lines.push(if i == *sel { l.style(HILITE) } else { l });
            }
            f.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(app.tr(Till::CountBox))),
                main,
            );
        }
    }
    draw_input(f, input, app);
    f.render_widget(
        Paragraph::new(keys_line(app, keys.width))
            .style(Style::new().fg(Color::Black).bg(Color::Gray)),
        keys,
    );
    super::ui_status::draw_status(f, status, app);
    if let Some(dlg) = &app.approval {
        draw_approval(f, main, app, dlg);
    }
}

/// The supervisor's dialog over the screen: what is asked, in words, and
/// the rank needed; never the rules' code names.
fn draw_approval(f: &mut Frame, main: Rect, app: &App, dlg: &super::counter::ApprovalDialog) {
    let lang = app.lang();
    let w = main.width.min(70);
    let inner = (w as usize).saturating_sub(2);
    let what = words::action(lang, dlg.req.action);
    let detail = words::approval_detail(&app.fmt(), &dlg.req);
    // The detail adds the figures; when it has none, the action says it all.
    let detail_lines = if detail == what {
        Vec::new()
    } else {
        super::ui_status::wrap(&detail, inner)
    };
    let error_lines = dlg
        .error
        .as_deref()
        .map(|e| super::ui_status::wrap(e, inner))
        .unwrap_or_default();
    let h = (6 + detail_lines.len() + error_lines.len()) as u16;
    let area = Rect {
        x: main.x + (main.width - w) / 2,
        y: main.y + main.height.saturating_sub(h) / 2,
        width: w,
        height: h.min(main.height),
    };
    f.render_widget(Clear, area);
    let mut text = vec![
        Line::from(Span::styled(
            app.tr(Till::ApprovalTitle),
            Style::new().add_modifier(Modifier::BOLD),
        )),
        Line::from(app.trf(
            Till::ApprovalWho,
            &[
                ("action", &what),
                ("role", &words::role(lang, dlg.req.min_role)),
            ],
        )),
    ];
    text.extend(detail_lines.into_iter().map(Line::from));
    text.push(Line::from(
        app.trf(Till::ApprovalPin, &[("stars", &"*".repeat(dlg.pin.len()))]),
    ));
    text.extend(
        error_lines
            .into_iter()
            .map(|e| Line::from(Span::styled(e, Style::new().fg(Color::Red)))),
    );
    text.push(Line::from(app.tr(Till::ApprovalKeys)));
    f.render_widget(
        Paragraph::new(text).block(
            Block::bordered()
                .title(app.tr(Till::ApprovalBox))
                .style(Style::new().bg(Color::Blue).fg(Color::White)),
        ),
        area,
    );
}

pub(super) fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn draw_header(f: &mut Frame, area: Rect, app: &App) {
    let lang = app.lang();
    let who = app
        .user
        .as_ref()
        .map(|u| {
            app.trf(
                Till::HeaderWho,
                &[("name", &u.name), ("role", &words::role(lang, u.role))],
            )
        })
        .unwrap_or_else(|| app.tr(Till::NotLoggedIn));
    let text = app.trf(
        Till::Header,
        &[
            ("version", &crate::VERSION),
            ("shop", &cut(&app.settings.shop.name, 28)),
            ("terminal", &app.terminal_id()),
            ("who", &who),
        ],
    );
    // Which rules the counter applies: head office's version, or the till's own.
    let mut text = format!("{text}  {}", app.rules_label());
    // The sale's customer and their credit, or the key to attach one.
    if let Some(c) = app.sale_customer() {
        text.push_str(&app.trf(
            Till::HeaderCustomer,
            &[
                ("customer", &cut(&c.name, 24)),
                ("available", &app.money(app.available_for(c))),
            ],
        ));
    } else if matches!(app.screen, Screen::Sale) && !app.customers().is_empty() {
        text.push_str(&app.tr(Till::HeaderCustomerKey));
    }
    f.render_widget(
        Paragraph::new(text).style(Style::new().fg(Color::White).bg(Color::Blue)),
        area,
    );
}

fn draw_login(f: &mut Frame, area: Rect, app: &App) {
    let mut text = vec![
        Line::from(""),
        Line::from(Span::styled(
            app.tr(Till::Identification),
            Style::new().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
        Line::from(app.trf(Till::PinPrompt, &[("stars", &"*".repeat(app.input.len()))])),
        Line::from(""),
    ];
    if app.basket.is_some() {
        text.push(Line::from(app.tr(Till::LoginRecovered)));
    }
    if let Some(h) = &app.settings.receipts_hint {
        text.push(Line::from(app.trf(Till::DemoHint, &[("path", h)])));
    }
    f.render_widget(
        Paragraph::new(text)
            .block(Block::bordered())
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn draw_sale(f: &mut Frame, area: Rect, app: &App) {
    let right_w = 30.min(area.width / 2);
    let [left, right] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(right_w)]).areas(area);
    let mut lines: Vec<Line> = Vec::new();
    let rows = left.height.saturating_sub(2) as usize;
    let name_w = (left.width as usize)
        .saturating_sub(2 + 4 + 8 + 10 + 4)
        .max(8);
    if let Some(b) = &app.basket {
        let t = b.totals();
        let live = app.live_lines();
        // Keep the selected line in view.
        let first = app.selected.saturating_sub(rows.saturating_sub(1));
        for (pos, idx) in live.iter().enumerate().skip(first).take(rows) {
            let Some(l) = b.lines().get(*idx) else {
                continue;
            };
            let total = t
                .lines
                .iter()
                .find(|s| s.line_no == l.line_no)
                .map(|s| s.total)
                .unwrap_or_default();
            let qty = if l.quantity == Decimal::ONE {
                String::new()
            } else {
                format!("{}x", words::qty(&app.fmt(), l.quantity))
            };
            let disc = if l.discount.is_some() { "R" } else { " " };
            let text = format!(
                "{:>3} {:<name_w$} {:>8}{} {:>9}",
                l.line_no,
                cut(&l.name, name_w),
                qty,
                disc,
                app.fmt().number(total, 2),
            );
            let line = Line::from(text);
            lines.push(if pos == app.selected {
                line.style(HILITE)
            } else {
                line
            });
        }
    } else {
        lines.push(Line::from(app.tr(Till::SaleHelp1)));
        lines.push(Line::from(app.tr(Till::SaleHelp2)));
        lines.push(Line::from(app.tr(Till::SaleHelp3)));
    }
    let title = app.tr(if matches!(app.screen, Screen::Payment) {
        Till::PaymentBox
    } else {
        Till::SaleBox
    });
    f.render_widget(
        if app.basket.is_none() {
            // The help wraps at words on a narrow screen.
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(title))
        } else {
            Paragraph::new(lines).block(Block::bordered().title(title))
        },
        left,
    );
    let mut side: Vec<Line> = Vec::new();
    if let Some(b) = &app.basket {
        let t = b.totals();
        let p = b.payment_status();
        let items: Decimal = b
            .lines()
            .iter()
            .filter(|l| !l.voided)
            .map(|l| match l.unit {
                till_core::records::Unit::Piece => l.quantity,
                till_core::records::Unit::Kg => Decimal::ONE,
            })
            .sum();
        let fmt = app.fmt();
        // Label left, value right, in the side panel's width.
        let inner = right.width.saturating_sub(2) as usize;
        let row = |label: &str, value: &str| -> String {
            let label = cut(label, inner.saturating_sub(value.chars().count() + 1));
            let gap = inner.saturating_sub(label.chars().count() + value.chars().count());
            format!("{label}{}{value}", " ".repeat(gap.max(1)))
        };
        side.push(Line::from(row(
            &app.tr(Till::SideItems),
            &words::qty(&fmt, items),
        )));
        if !t.basket_discount.is_zero() {
            side.push(Line::from(row(
                &app.tr(Till::SideDiscount),
                &app.money(-t.basket_discount),
            )));
        }
        side.push(Line::from(Span::styled(
            row(&app.tr(Till::SideTotal), &app.money(t.total)),
            Style::new().add_modifier(Modifier::BOLD).fg(Color::Yellow),
        )));
        for v in till_core::vat::breakdown(t.lines.iter().map(|l| (l.vat_rate, l.total)), 2) {
            let rate = fmt.percent(v.rate.as_percent());
            side.push(Line::from(row(
                &app.trf(Till::SideVat, &[("rate", &rate)]),
                &app.money(v.tax),
            )));
        }
        for tr in b.tenders() {
            side.push(Line::from(row(
                &app.tender_label(tr.kind),
                &app.money(tr.amount),
            )));
        }
        if !b.tenders().is_empty() || matches!(app.screen, Screen::Payment) {
            side.push(Line::from(Span::styled(
                row(&app.tr(Till::SideLeft), &app.money(p.remaining)),
                Style::new().add_modifier(Modifier::BOLD),
            )));
            if !p.change.is_zero() {
                side.push(Line::from(row(
                    &app.tr(Till::SideChange),
                    &app.money(p.change),
                )));
            }
        }
    }
    if let Some(q) = app.pending_qty {
        let q = words::qty(&app.fmt(), q);
        side.push(Line::from(app.trf(Till::NextQty, &[("qty", &q)])));
    }
    if !app.parked.is_empty() {
        side.push(Line::from(
            app.trf(Till::SideParked, &[("n", &app.parked.len())]),
        ));
    }
    f.render_widget(
        Paragraph::new(side).block(Block::bordered().title(app.tr(Till::TotalBox))),
        right,
    );
}

fn draw_search(f: &mut Frame, area: Rect, app: &App, results: &[usize], sel: usize) {
    let mut lines = vec![Line::from(
        app.trf(Till::SearchName, &[("query", &app.input)]),
    )];
    let rows = area.height.saturating_sub(3) as usize;
    let first = sel.saturating_sub(rows.saturating_sub(1));
    for (i, idx) in results.iter().enumerate().skip(first).take(rows) {
        let Some(it) = app.catalog.items().get(*idx) else {
            continue;
        };
        let l = Line::from(format!(
            " {:<12} {:<36} {:>10}",
            cut(&it.id, 12),
            cut(&it.name, 36),
            app.money(it.price)
        ));
        lines.push(if i == sel { l.style(HILITE) } else { l });
    }
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(app.tr(Till::SearchBoxName))),
        area,
    );
}

fn draw_customers(f: &mut Frame, area: Rect, app: &App, results: &[String], sel: usize) {
    let mut lines = Vec::new();
    let rows = area.height.saturating_sub(2) as usize;
    let first = sel.saturating_sub(rows.saturating_sub(1));
    for (i, n) in results.iter().enumerate().skip(first).take(rows) {
        let Some(c) = app.customers().get(n) else {
            continue;
        };
        let l = Line::from(format!(
            " {:<12} {:<36} {:>12}",
            cut(&c.number, 12),
            cut(&c.name, 36),
            app.money(app.available_for(c))
        ));
        lines.push(if i == sel { l.style(HILITE) } else { l });
    }
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(app.tr(Till::CustomersBox))),
        area,
    );
}

fn draw_input(f: &mut Frame, area: Rect, app: &App) {
    let masked = matches!(app.screen, Screen::Login);
    let shown = if masked {
        "*".repeat(app.input.len())
    } else {
        app.input.clone()
    };
    let mut lines = vec![Line::from(format!("> {shown}_"))];
    if let Some((level, _)) = &app.message {
        let style = match level {
            Level::Info => Style::new().fg(Color::Green),
            Level::Error => Style::new().fg(Color::White).bg(Color::Red),
        };
        for l in super::ui_status::message_lines(app, area.width) {
            lines.push(Line::from(Span::styled(l, style)));
        }
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn keys_help(app: &App) -> Till {
    match &app.screen {
        Screen::Login => Till::KeysLogin,
        Screen::Sale => Till::KeysSale,
        Screen::Payment => Till::KeysPayment,
        Screen::Search { .. } => Till::KeysSearch,
        Screen::Refund(_) => Till::KeysRefund,
        Screen::RefundNoReceipt { .. } => Till::KeysRefundNoReceipt,
        Screen::CashCount { .. } => Till::KeysCashCount,
        Screen::Menu { .. } => Till::KeysMenu,
        Screen::Report { .. } => Till::KeysReport,
        Screen::Paying { .. } => Till::KeysPaying,
        Screen::CardRefund { .. } => Till::KeysCardRefund,
        Screen::LateApproval => {
            if app.terminal.late.as_ref().is_some_and(|tp| {
                app.basket.as_ref().is_some_and(|b| {
                    b.tenders()
                        .iter()
                        .any(|t| t.reference.as_deref() == Some(tp.reference.as_str()))
                })
            }) {
                Till::KeysLateKeep
            } else {
                Till::KeysLateRefund
            }
        }
        _ => Till::KeysOther,
    }
}

/// The keys' line: the long form where it fits, a short one in 80 columns.
fn keys_line(app: &App, width: u16) -> String {
    let lang = app.lang();
    let long = match &app.screen {
        // The tenders are data (the shop's own included): the line too.
        Screen::Payment => app.payment_keys_line(false),
        _ => keys_help(app).text(lang),
    };
    if long.chars().count() <= width as usize {
        return long;
    }
    match &app.screen {
        Screen::Sale => Till::KeysSaleShort.text(lang),
        Screen::Payment => app.payment_keys_line(true),
        _ => long.trim_start().to_string(),
    }
}

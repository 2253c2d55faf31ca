//! Draws the app with ratatui. Reads [`App`], changes nothing. Laid out for
//! an 80x25 console (the Linux console at 1024x768 with a 8x16 font is
//! 128x48): header, main area, input and message, keys, status line.

use super::counter::{Level, Purpose, Screen, MENU};
use super::shell::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use rust_decimal::Decimal;
use std::time::Instant;

const HILITE: Style = Style::new().fg(Color::Black).bg(Color::Cyan);

/// Draws one frame.
pub fn draw(f: &mut Frame, app: &App) {
    let [header, main, input, keys, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(2),
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
                Line::from("Une touche pour la vente suivante"),
            ];
            f.render_widget(
                Paragraph::new(text).block(Block::bordered().title(" Terminé ")),
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
                Line::from("Le client suit les instructions du terminal (carte, code)."),
                Line::from("La caisse attend la réponse du terminal."),
            ];
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(" Terminal de paiement ")),
                main,
            );
        }
        Screen::CardRefund { why } => {
            let text = vec![
                Line::from(""),
                Line::from(Span::styled(
                    "Remboursement carte non fait",
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(why.clone()),
                Line::from(""),
                Line::from("Entrée : réessayer sur le terminal"),
                Line::from("F1 : rendre ce montant en espèces"),
                Line::from("Échap : abandonner le remboursement"),
            ];
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(" Terminal de paiement ")),
                main,
            );
        }
        Screen::LateApproval => {
            let mut text = vec![Line::from("")];
            if let Some(tp) = &app.terminal.late {
                text.push(Line::from(Span::styled(
                    format!("Paiement accepté en retard : {}", app.money(tp.amount)),
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                )));
                text.push(Line::from(format!(
                    "Carte {}  autorisation {}  réf. {}",
                    tp.outcome.masked_pan.as_deref().unwrap_or("?"),
                    tp.outcome.auth_code.as_deref().unwrap_or("?"),
                    tp.reference
                )));
            }
            text.push(Line::from(""));
            text.push(Line::from(
                "Le client a été débité. Un seul paiement doit rester.",
            ));
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(" Terminal de paiement ")),
                main,
            );
        }
        Screen::Menu { sel } => {
            let lines: Vec<Line> = MENU
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let key = if i == 9 { 0 } else { i + 1 };
                    let l = Line::from(format!(" {key}  {m}"));
                    if i == *sel {
                        l.style(HILITE)
                    } else {
                        l
                    }
                })
                .collect();
            f.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(" Fonctions (F9) ")),
                main,
            );
        }
        Screen::ReceiptNo { purpose } => {
            let what = match purpose {
                Purpose::Refund => "Remboursement",
                Purpose::Cancel => "Annulation de vente",
                Purpose::Reprint => "Réimpression (DUPLICATA)",
            };
            let text = vec![
                Line::from(""),
                Line::from(format!("{what} : numéro du ticket ?")),
                Line::from(format!(
                    "(par exemple 12 ou {}-000012{})",
                    app.terminal_id(),
                    if *purpose == Purpose::Reprint {
                        " ; Entrée seule : le dernier"
                    } else {
                        ""
                    }
                )),
            ];
            f.render_widget(
                Paragraph::new(text).block(Block::bordered().title(format!(" {what} "))),
                main,
            );
        }
        Screen::Searching { sale_no, .. } => {
            f.render_widget(
                Paragraph::new(vec![
                    Line::from(""),
                    Line::from(format!("Recherche du ticket {sale_no}...")),
                ])
                .block(Block::bordered().title(" Recherche ")),
                main,
            );
        }
        Screen::Refund(st) => {
            let mut lines = vec![Line::from(format!(
                "Ticket {} du {} : {}",
                st.found.record.sale_no,
                st.found.record.business_day,
                app.money(st.found.record.total)
            ))];
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
                    .map(|q| format!("-> rendre {}", q.normalize()))
                    .unwrap_or_default();
                let l = Line::from(format!(
                    " {line_no:>3} {:<30} reste {:>6} {pick}",
                    cut(name, 30),
                    left.normalize()
                ));
                lines.push(if i == st.sel { l.style(HILITE) } else { l });
            }
            f.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(" Remboursement avec ticket ")),
                main,
            );
        }
        Screen::RefundNoReceipt { items } => {
            let mut lines = vec![Line::from(
                "Scannez ou tapez les articles rapportés (Entrée) ; quantité puis *",
            )];
            for (id, q) in items {
                let (name, price) = app
                    .catalog
                    .get(id)
                    .map(|i| (i.name.clone(), i.price))
                    .unwrap_or_default();
                lines.push(Line::from(format!(
                    " {:<32} {:>6} x {}",
                    cut(&name, 32),
                    q.normalize(),
                    app.money(price)
                )));
            }
            f.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(" Remboursement sans ticket ")),
                main,
            );
        }
        Screen::Resume { sel } => {
            let lines: Vec<Line> = app
                .parked
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let l = Line::from(format!(
                        " {:>2}. {}  {} article(s)  {}",
                        i + 1,
                        p.at,
                        p.basket.lines().iter().filter(|l| !l.voided).count(),
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
                Paragraph::new(lines).block(Block::bordered().title(" Ventes en attente ")),
                main,
            );
        }
        Screen::CashMove { direction } => {
            let what = match direction {
                till_core::records::CashDirection::In => "Entrée d'espèces",
                till_core::records::CashDirection::Out => "Sortie d'espèces",
            };
            f.render_widget(
                Paragraph::new(vec![Line::from(""), Line::from("Montant ? puis Entrée")])
                    .block(Block::bordered().title(format!(" {what} "))),
                main,
            );
        }
        Screen::Report { title, text } => {
            f.render_widget(
                Paragraph::new(text.clone())
                    .block(Block::bordered().title(format!(" {title} ")))
                    .wrap(Wrap { trim: false }),
                main,
            );
        }
        Screen::CashCount { rows, sel } => {
            let mut lines = vec![Line::from(format!(
                " {:<16} {:>14} {:>14} {:>12}",
                "Moyen", "Attendu", "Compté", "Écart"
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
                    tender_label(&r.tender),
                    app.money(r.expected),
                    counted,
                    diff
                ));
                lines.push(if i == *sel { l.style(HILITE) } else { l });
            }
            f.render_widget(
                Paragraph::new(lines)
                    .block(Block::bordered().title(" Clôture Z : comptage de caisse ")),
                main,
            );
        }
    }
    draw_input(f, input, app);
    f.render_widget(
        Paragraph::new(if keys.width < 104 {
            keys_help_short(app)
        } else {
            keys_help(app)
        })
        .style(Style::new().fg(Color::Black).bg(Color::Gray)),
        keys,
    );
    draw_status(f, status, app);
    if let Some(dlg) = &app.approval {
        let w = main.width.min(70);
        let area = Rect {
            x: main.x + (main.width - w) / 2,
            y: main.y + main.height.saturating_sub(8) / 2,
            width: w,
            height: 8.min(main.height),
        };
        f.render_widget(Clear, area);
        let mut text = vec![
            Line::from(Span::styled(
                "AUTORISATION NÉCESSAIRE",
                Style::new().add_modifier(Modifier::BOLD),
            )),
            Line::from(format!(
                "{} ({} ou plus)",
                dlg.req.action.as_str(),
                dlg.req.min_role.as_str()
            )),
            Line::from(cut(&dlg.req.detail, (w as usize).saturating_sub(2))),
            Line::from(format!("Code responsable : {}", "*".repeat(dlg.pin.len()))),
        ];
        if let Some(e) = &dlg.error {
            text.push(Line::from(Span::styled(
                e.clone(),
                Style::new().fg(Color::Red),
            )));
        }
        text.push(Line::from("Entrée valider   Échap refuser"));
        f.render_widget(
            Paragraph::new(text).block(
                Block::bordered()
                    .title(" Responsable ")
                    .style(Style::new().bg(Color::Blue).fg(Color::White)),
            ),
            area,
        );
    }
}

fn tender_label(kind: &str) -> String {
    till_core::records::TenderKind::ALL
        .iter()
        .find(|k| k.as_str() == kind)
        .map(|k| k.label_fr().to_string())
        .unwrap_or_else(|| kind.to_string())
}

fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn draw_header(f: &mut Frame, area: Rect, app: &App) {
    let who = app
        .user
        .as_ref()
        .map(|u| format!("{} ({})", u.name, u.role.as_str()))
        .unwrap_or_else(|| "non identifié".into());
    let text = format!(
        " comptoir {}  {}  caisse {}  {}",
        crate::VERSION,
        cut(&app.settings.shop.name, 28),
        app.terminal_id(),
        who
    );
    // Which rules the counter applies: head office's version, or the till's own.
    let text = format!("{text}  {}", app.rules_label());
    f.render_widget(
        Paragraph::new(text).style(Style::new().fg(Color::White).bg(Color::Blue)),
        area,
    );
}

fn draw_login(f: &mut Frame, area: Rect, app: &App) {
    let mut text = vec![
        Line::from(""),
        Line::from(Span::styled(
            "  Identification",
            Style::new().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
        Line::from(format!("  Code PIN : {}", "*".repeat(app.input.len()))),
        Line::from(""),
    ];
    if app.basket.is_some() {
        text.push(Line::from(
            "  Une vente en cours a été récupérée ; elle reprend après l'identification.",
        ));
    }
    if let Some(h) = &app.settings.receipts_hint {
        text.push(Line::from(format!(
            "  Démo : PIN 1111 caissier, 2222 responsable, 3333 gérant. F11 scanne un article, F12 panne de papier. Tickets : {h}"
        )));
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
                format!("{}x", l.quantity.normalize()).replace('.', ",")
            };
            let disc = if l.discount.is_some() { "R" } else { " " };
            let text = format!(
                "{:>3} {:<name_w$} {:>8}{} {:>9}",
                l.line_no,
                cut(&l.name, name_w),
                qty,
                disc,
                app.currency().format(total),
            );
            let line = Line::from(text);
            lines.push(if pos == app.selected {
                line.style(HILITE)
            } else {
                line
            });
        }
    } else {
        lines.push(Line::from(" Scannez ou tapez un code article, Entrée."));
        lines.push(Line::from(
            " Quantité : 3 * puis l'article.  Recherche : F2.",
        ));
        lines.push(Line::from(
            " Prix de la ligne choisie : 12,50 puis / (responsable).",
        ));
    }
    let title = if matches!(app.screen, Screen::Payment) {
        " Paiement "
    } else {
        " Vente "
    };
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
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
        side.push(Line::from(format!("Articles   {:>12}", items.normalize())));
        if !t.basket_discount.is_zero() {
            side.push(Line::from(format!(
                "Remise     {:>12}",
                app.money(-t.basket_discount)
            )));
        }
        side.push(Line::from(Span::styled(
            format!("TOTAL      {:>12}", app.money(t.total)),
            Style::new().add_modifier(Modifier::BOLD).fg(Color::Yellow),
        )));
        for v in till_core::vat::breakdown(t.lines.iter().map(|l| (l.vat_rate, l.total)), 2) {
            side.push(Line::from(format!(
                "TVA {:>6} {:>11}",
                v.rate.to_string(),
                app.money(v.tax)
            )));
        }
        for tr in b.tenders() {
            side.push(Line::from(format!(
                "{:<10} {:>12}",
                cut(tr.kind.label_fr(), 10),
                app.money(tr.amount)
            )));
        }
        if !b.tenders().is_empty() || matches!(app.screen, Screen::Payment) {
            side.push(Line::from(Span::styled(
                format!("Reste      {:>12}", app.money(p.remaining)),
                Style::new().add_modifier(Modifier::BOLD),
            )));
            if !p.change.is_zero() {
                side.push(Line::from(format!(
                    "Rendu      {:>12}",
                    app.money(p.change)
                )));
            }
        }
    }
    if let Some(q) = app.pending_qty {
        side.push(Line::from(format!("Quantité suivante : {}", q.normalize())));
    }
    if !app.parked.is_empty() {
        side.push(Line::from(format!("En attente : {}", app.parked.len())));
    }
    f.render_widget(
        Paragraph::new(side).block(Block::bordered().title(" Total ")),
        right,
    );
}

fn draw_search(f: &mut Frame, area: Rect, app: &App, results: &[usize], sel: usize) {
    let mut lines = vec![Line::from(format!("Nom : {}_", app.input))];
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
        Paragraph::new(lines).block(Block::bordered().title(" Recherche par nom ")),
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
    if let Some((level, text)) = &app.message {
        let style = match level {
            Level::Info => Style::new().fg(Color::Green),
            Level::Error => Style::new().fg(Color::White).bg(Color::Red),
        };
        lines.push(Line::from(Span::styled(text.clone(), style)));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn keys_help(app: &App) -> &'static str {
    match &app.screen {
        Screen::Login => " PIN puis Entrée",
        Screen::Sale => {
            " F2 Cherche F3 Qté F4 Rem.ligne F5 Rem.total F6 Annul.ligne F7 Attente F8 Payer F9 Fonctions F10 Abandon"
        }
        Screen::Payment => {
            " Montant puis F1 Espèces F2 Carte F3 Chèque F4 Bon F5 Mobile (vide = reste)  F6 Retirer paiement  Échap Retour"
        }
        Screen::Search { .. } => " Tapez le nom  Haut/Bas  Entrée Ajouter  Échap Retour",
        Screen::Refund(_) => " Entrée Choisir (qté tapée ou tout)  F8 Rembourser  Échap Retour",
        Screen::RefundNoReceipt { .. } => " Code + Entrée  F1 Rendre espèces  F2 Rendre carte  F6 Retirer  Échap",
        Screen::CashCount { .. } => " Montant compté + Entrée  F8 Clôturer la journée  Échap Retour",
        Screen::Menu { .. } => " Chiffre ou Haut/Bas + Entrée  Échap Retour",
        Screen::Report { .. } => " F8 Imprimer  Entrée ou Échap Retour",
        Screen::Paying { .. } => " Attente du terminal de paiement",
        Screen::CardRefund { .. } => " Entrée Réessayer  F1 Rendre en espèces  Échap Abandonner",
        Screen::LateApproval => {
            if app.terminal.late.as_ref().is_some_and(|tp| {
                app.basket.as_ref().is_some_and(|b| {
                    b.tenders()
                        .iter()
                        .any(|t| t.reference.as_deref() == Some(tp.reference.as_str()))
                })
            }) {
                " Entrée Garder pour cette vente  F6 Rembourser sur le terminal"
            } else {
                " Entrée Rembourser sur le terminal  Échap Plus tard (noté au journal)"
            }
        }
        _ => " Entrée Valider  Échap Retour",
    }
}

/// The same keys in at most 80 columns.
fn keys_help_short(app: &App) -> &'static str {
    match &app.screen {
        Screen::Sale => {
            "F2 Cherche F3 Qté F4 RemLig F5 RemTot F6 Annule F7 Attente F8 Payer F9 Fn F10 Ab"
        }
        Screen::Payment => {
            "Montant+ F1 Esp F2 Carte F3 Chèque F4 Bon F5 Mobile (vide=reste) F6 Retirer"
        }
        Screen::RefundNoReceipt { .. } => {
            "Code+Entrée F1 Rendre espèces F2 Rendre carte F6 Retirer Échap"
        }
        Screen::CashCount { .. } => {
            "Montant compté + Entrée   F8 Clôturer la journée   Échap Retour"
        }
        _ => keys_help(app),
    }
}

fn draw_status(f: &mut Frame, area: Rect, app: &App) {
    let s = &app.status;
    let drawer = match (s.drawer_open, s.drawer_left_open(Instant::now())) {
        (Some(true), Some(secs)) => format!("OUVERT depuis {secs} s"),
        (Some(true), None) => "ouvert".into(),
        (Some(false), _) => "fermé".into(),
        (None, _) => "?".into(),
    };
    let alarm = s.drawer_left_open(Instant::now()).is_some();
    let offline = if s.offline(Instant::now()) {
        " HORS LIGNE"
    } else {
        ""
    };
    let unprinted = if s.unprinted.is_empty() {
        String::new()
    } else {
        format!(" | {} ticket(s) non imprimé(s)", s.unprinted.len())
    };
    let age = match (s.sync_failures, s.sync_age_s) {
        (None, _) => String::new(),
        (Some(_), None) => ", jamais envoyé".into(),
        (Some(_), Some(a)) if a < 120 => format!(", envoi il y a {a} s"),
        (Some(_), Some(a)) if a < 7200 => format!(", envoi il y a {} min", a / 60),
        (Some(_), Some(a)) => format!(", envoi il y a {} h", a / 3600),
    };
    // The terminal only shows when it has something to say.
    let terminal = if app.terminal.paying.is_some() {
        " | TPE: paiement en cours"
    } else if app.terminal.listening(Instant::now()) {
        " | TPE: écoute une réponse tardive"
    } else {
        ""
    };
    let unprinted = format!("{unprinted}{terminal}");
    let text = if area.width < 110 {
        format!(
            "Impr: {} | Tiroir: {} | Scan: {} | Sync: {} att.{}{}{}",
            cut(&s.printer, 16),
            drawer,
            cut(&s.scanner, 10),
            s.waiting(),
            age.replace("envoi il y a", "il y a"),
            offline,
            unprinted.replace(" ticket(s) non imprimé(s)", " non imprimé(s)")
        )
    } else {
        format!(
            " Imprimante: {} | Tiroir: {} | Scanner: {} | Sync: {} en attente{}{}{}",
            cut(&s.printer, 24),
            drawer,
            cut(&s.scanner, 16),
            s.waiting(),
            age,
            offline,
            unprinted
        )
    };
    let style = if s.printer_ready && !alarm {
        Style::new().fg(Color::White).bg(Color::DarkGray)
    } else {
        Style::new().fg(Color::White).bg(Color::Red)
    };
    f.render_widget(Paragraph::new(text).style(style), area);
    let _ = Borders::NONE;
}

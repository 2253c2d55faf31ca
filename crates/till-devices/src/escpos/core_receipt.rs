//! ESC/POS rendering of the domain's receipt, `till_core::receipt::Receipt`.
//!
//! Same layout, same words as till-core's plain-text rendering (so what the
//! screen previews is what prints; a test holds every plain line to it), plus what only paper has: the shop name,
//! the total and the DUPLICATA in bold double size, the QR code carrying the
//! receipt reference and the signature extract, and the cut.

use till_core::receipt::{Receipt, TRAINING_MARK};

use super::cmd::{self, Align, QrEc};
use super::receipt::{Layout, Logo, Writer};
use crate::DeviceError;

fn symbol(code: &str) -> &str {
    if code == "EUR" {
        "€"
    } else {
        code
    }
}

/// What the QR code carries: `reference|signature extract`, short enough
/// for a version-2 code at EC level M, readable by any phone.
pub fn qr_payload(r: &Receipt) -> String {
    format!("{}|{}", r.sale_no, r.signature_extract)
}

fn training(w: &mut Writer) {
    w.align(Align::Center);
    w.bold(true);
    w.size(2, 2);
    w.line("FORMATION");
    w.size(1, 1);
    w.line(&format!("*** {TRAINING_MARK} ***"));
    w.bold(false);
}

/// Render the receipt to the bytes sent to the printer.
pub fn render_receipt(r: &Receipt, layout: Layout) -> Result<Vec<u8>, DeviceError> {
    render_receipt_with_logo(r, layout, None)
}

/// Render with the shop's logo as a raster image above its name.
pub fn render_receipt_with_logo(
    r: &Receipt,
    layout: Layout,
    logo: Option<&Logo>,
) -> Result<Vec<u8>, DeviceError> {
    let mut w = Writer::start(
        layout,
        512 + r.lines.len() * 64 + logo.map_or(0, |l| l.bits.len()),
    );
    let sym = symbol(&r.currency.code);
    let money = |m: rust_decimal::Decimal| format!("{} {sym}", r.currency.format(m));

    if r.training {
        training(&mut w);
    }
    if let Some(l) = logo {
        // 12 dots per character column: 576 dots on 80 mm, 384 on 58 mm.
        if l.width_bytes as usize * 8 > layout.width * 12 {
            return Err(DeviceError::InvalidCommand(format!(
                "logo is {} dots wide, the paper {}",
                l.width_bytes as usize * 8,
                layout.width * 12
            )));
        }
        w.align(Align::Center);
        w.out.extend(cmd::raster(l.width_bytes, l.rows, &l.bits)?);
    }
    w.bold(true);
    w.size(2, 2);
    w.center(&r.shop_name);
    w.size(1, 1);
    w.bold(false);
    for a in &r.address_lines {
        w.center(a);
    }
    w.center(&format!("SIRET {}", r.siret));
    if let Some(v) = &r.vat_number {
        w.center(&format!("TVA {v}"));
    }
    w.rule();
    w.bold(true);
    w.center(&r.title);
    if let Some(n) = r.duplicate {
        w.size(2, 2);
        w.center("DUPLICATA");
        w.size(1, 1);
        w.center(&format!("DUPLICATA n° {n}"));
    }
    w.bold(false);
    w.align(Align::Left);
    w.two_cols(
        &format!("Ticket {}", r.sale_no),
        &format!("Caisse {}", r.terminal_id),
    );
    w.two_cols(&r.date_time, &format!("Seq {}", r.seq));
    if let Some(d) = &r.business_day {
        w.left(&format!("Journée comptable : {d}"));
    }
    w.left(&format!("Caissier : {}", r.operator_name));
    if let Some(c) = &r.customer {
        w.left(&format!("Client : {c}"));
    }
    if let Some(o) = &r.reverses {
        w.left(&format!("Ticket d'origine : {o}"));
    }
    w.rule();
    for l in &r.lines {
        w.two_cols(&l.name, &money(l.gross));
        if let Some(d) = &l.detail {
            w.left(&format!("  {d}"));
        }
        if let Some(o) = l.overridden_from {
            w.left(&format!("  Prix modifié (était {})", money(o)));
        }
        if let Some(d) = l.discount {
            w.two_cols("  Remise", &money(-d));
        }
    }
    w.rule();
    if let Some(d) = r.basket_discount {
        w.two_cols("Remise panier", &money(-d));
    }
    w.bold(true);
    w.size(2, 2);
    w.two_cols("TOTAL TTC", &money(r.total));
    w.size(1, 1);
    w.bold(false);
    if let Some(x) = r.rounding {
        w.two_cols("Arrondi", &money(x));
        w.bold(true);
        w.two_cols("A PAYER", &money(r.due));
        w.bold(false);
    }
    for t in &r.tenders {
        w.two_cols(&t.label, &money(t.amount));
        if let Some(d) = &t.detail {
            w.left(&format!("  {d}"));
        }
    }
    if let Some(c) = r.change {
        w.two_cols("Rendu", &money(c));
    }
    w.rule();
    let col = (layout.width.max(24) - 8) / 3;
    let row = |a: &str, b: &str, c: &str, d: &str| format!("{a:<8}{b:>col$}{c:>col$}{d:>col$}");
    w.left(&row("Taux", "HT", "TVA", "TTC"));
    for v in &r.vat {
        let rate = format!("{}%", v.rate.as_percent().normalize()).replace('.', ",");
        w.left(&row(
            &rate,
            &r.currency.format(v.base),
            &r.currency.format(v.tax),
            &r.currency.format(v.total),
        ));
    }
    w.rule();
    w.left(&format!("Nombre d'articles : {}", r.item_count.normalize()));
    w.left(&format!("Signature : {}", r.signature_extract));
    w.left(&format!("Logiciel comptoir {}", r.software_version));
    w.align(Align::Center);
    w.out.extend(cmd::qr(qr_payload(r).as_bytes(), 4, QrEc::M)?);
    w.out.push(b'\n');
    for f in &r.footer_lines {
        w.center(f);
    }
    if r.training {
        training(&mut w);
    }
    Ok(w.finish())
}

/// The fewest bytes an ESC/POS encoding of `r`'s content needs, counted by
/// hand from the receipt model, without going through the renderer: every
/// printed character once (PC858, one byte each; the spaces of a
/// two-column line or of the VAT table are part of the layout, as on a
/// fixed-pitch printer), one LF per line, and only the commands the content
/// cannot do without: ESC @ and ESC t, one ESC a per change of alignment,
/// bold and double size switched on and back off around the lines the issue
/// asks for (shop name, title, total, DUPLICATA, training mark), the QR code
/// and the feed-and-cut. Centred lines count no padding (ESC a centres them).
///
/// The benchmark and the size test hold the renderer to at most 1.2 times
/// this figure.
pub fn minimal_encoding_len(r: &Receipt, layout: Layout) -> Result<usize, DeviceError> {
    let width = layout.width;
    let text = |s: &str| super::pc858::encode(s).len();
    let line = |s: &str| text(s) + 1;
    // `left`, spaces to the right edge (at least one), `right`, LF; `cols`
    // is the width in characters at the current size.
    let two = |a: &str, b: &str, cols: usize| {
        let (la, lb) = (text(a), text(b));
        la + cols.saturating_sub(la + lb).max(1) + lb + 1
    };
    let sym = symbol(&r.currency.code);
    let money = |m: rust_decimal::Decimal| format!("{} {sym}", r.currency.format(m));
    const CMD: usize = 3; // ESC a n, ESC E n, GS ! n are 3 bytes each
    let training = CMD * 4 + line("FORMATION") + line(&format!("*** {TRAINING_MARK} ***"));

    let mut n = cmd::INIT.len() + cmd::code_page(layout.code_page).len();
    if r.training {
        n += training; // leaves alignment centred, like the header wants
    } else {
        n += CMD; // centre the header
    }
    n += CMD * 4 + line(&r.shop_name); // bold + double size on, then off
    n += r.address_lines.iter().map(|a| line(a)).sum::<usize>();
    n += line(&format!("SIRET {}", r.siret));
    if let Some(v) = &r.vat_number {
        n += line(&format!("TVA {v}"));
    }
    let rule = width + 1;
    n += rule;
    n += CMD * 2 + line(&r.title);
    if let Some(d) = r.duplicate {
        n += CMD * 2 + line("DUPLICATA") + line(&format!("DUPLICATA n° {d}"));
    }
    n += CMD; // back to the left
    n += two(
        &format!("Ticket {}", r.sale_no),
        &format!("Caisse {}", r.terminal_id),
        width,
    );
    n += two(&r.date_time, &format!("Seq {}", r.seq), width);
    if let Some(d) = &r.business_day {
        n += line(&format!("Journée comptable : {d}"));
    }
    n += line(&format!("Caissier : {}", r.operator_name));
    if let Some(c) = &r.customer {
        n += line(&format!("Client : {c}"));
    }
    if let Some(o) = &r.reverses {
        n += line(&format!("Ticket d'origine : {o}"));
    }
    n += rule;
    for l in &r.lines {
        n += two(&l.name, &money(l.gross), width);
        if let Some(d) = &l.detail {
            n += line(&format!("  {d}"));
        }
        if let Some(o) = l.overridden_from {
            n += line(&format!("  Prix modifié (était {})", money(o)));
        }
        if let Some(d) = l.discount {
            n += two("  Remise", &money(-d), width);
        }
    }
    n += rule;
    if let Some(d) = r.basket_discount {
        n += two("Remise panier", &money(-d), width);
    }
    n += CMD * 4 + two("TOTAL TTC", &money(r.total), width / 2);
    if let Some(x) = r.rounding {
        n += two("Arrondi", &money(x), width) + CMD * 2 + two("A PAYER", &money(r.due), width);
    }
    for t in &r.tenders {
        n += two(&t.label, &money(t.amount), width);
        if let Some(d) = &t.detail {
            n += line(&format!("  {d}"));
        }
    }
    if let Some(c) = r.change {
        n += two("Rendu", &money(c), width);
    }
    n += rule;
    // The VAT table: a label column of 8 and three right-aligned columns.
    let col = (width.max(24) - 8) / 3;
    n += (8 + 3 * col + 1) * (1 + r.vat.len());
    n += rule;
    n += line(&format!("Nombre d'articles : {}", r.item_count.normalize()));
    n += line(&format!("Signature : {}", r.signature_extract));
    n += line(&format!("Logiciel comptoir {}", r.software_version));
    n += CMD + cmd::qr(qr_payload(r).as_bytes(), 4, QrEc::M)?.len() + 1;
    n += r.footer_lines.iter().map(|f| line(f)).sum::<usize>();
    if r.training {
        n += training - CMD; // already centred
    }
    n += cmd::cut(cmd::Cut::FeedPartial(3)).len();
    Ok(n)
}

/// A receipt with `n` lines built field by field (no sale rules involved),
/// for tests and the benchmark.
pub fn sample_receipt(n: usize) -> Receipt {
    use rust_decimal::Decimal;
    use till_core::receipt::{ReceiptLine, ReceiptTender};
    use till_core::vat::{VatLine, VatRate};
    let names = [
        "Pain de campagne",
        "Crème fraîche épaisse",
        "Bœuf haché 5% MG",
        "Côtes-du-Rhône",
        "Café moulu",
    ];
    let lines: Vec<ReceiptLine> = (0..n)
        .map(|i| ReceiptLine {
            name: names[i % names.len()].into(),
            detail: (i % 3 == 1).then(|| "2 x 1,99 €".to_string()),
            gross: Decimal::new(199 + (i as i64 * 37) % 900, 2),
            discount: None,
            overridden_from: None,
            vat_rate: "5,5%".into(),
        })
        .collect();
    let total: Decimal = lines.iter().map(|l| l.gross).sum();
    let rate = VatRate::percent(Decimal::new(55, 1)).expect("5.5 is a valid VAT rate");
    let tax = (total * Decimal::new(55, 1) / Decimal::new(1055, 1)).round_dp(2);
    Receipt {
        shop_name: "Épicerie Comptoir".into(),
        address_lines: vec!["12 rue de la Paix".into(), "75002 Paris".into()],
        siret: "12345678900012".into(),
        vat_number: Some("FR12123456789".into()),
        title: "TICKET".into(),
        terminal_id: "T01".into(),
        seq: 1042,
        sale_no: "T01-000042".into(),
        date_time: "23/11/2026 14:05:09".into(),
        business_day: None,
        operator_name: "Amélie".into(),
        customer: None,
        reverses: None,
        lines,
        item_count: Decimal::from(n as i64),
        basket_discount: None,
        vat: vec![VatLine {
            rate,
            base: total - tax,
            tax,
            total,
        }],
        total,
        rounding: None,
        due: total,
        tenders: vec![ReceiptTender {
            label: "Espèces".into(),
            amount: total + Decimal::from(5),
            detail: None,
        }],
        change: Some(Decimal::from(5)),
        signature_extract: "9f3a-77c1".into(),
        software_version: "0.1.0".into(),
        duplicate: None,
        training: false,
        flags: Vec::new(),
        footer_lines: vec!["Merci de votre visite".into()],
        currency: till_core::money::Currency::eur(),
    }
}

/// The full French receipt kept as a golden byte stream in
/// `hw-fixtures/receipts/french-receipt.hex`: two VAT rates (20 % and
/// 5,5 %), accents, an oe ligature, a weighed-style "2 x" line, split tender
/// (card then cash) with change, the QR code and DUPLICATA.
pub fn french_example() -> Receipt {
    use rust_decimal::Decimal;
    use till_core::receipt::{ReceiptLine, ReceiptTender};
    use till_core::vat::{VatLine, VatRate};
    let d = Decimal::new;
    let line = |name: &str, detail: Option<&str>, gross: Decimal, rate: &str| ReceiptLine {
        name: name.into(),
        detail: detail.map(String::from),
        gross,
        discount: None,
        overridden_from: None,
        vat_rate: rate.into(),
    };
    let rate = |r: Decimal| VatRate::percent(r).expect("20 and 5.5 are valid VAT rates");
    Receipt {
        shop_name: "Épicerie Comptoir".into(),
        address_lines: vec!["12 rue de la Paix".into(), "75002 Paris".into()],
        siret: "123 456 789 00012".into(),
        vat_number: Some("FR12123456789".into()),
        title: "TICKET".into(),
        terminal_id: "T1".into(),
        seq: 42,
        sale_no: "T1-000042".into(),
        date_time: "23/11/2026 14:05".into(),
        business_day: None,
        operator_name: "Amélie".into(),
        customer: None,
        reverses: None,
        lines: vec![
            line("Pain de campagne", None, d(210, 2), "5,5%"),
            line("Crème fraîche épaisse", None, d(195, 2), "5,5%"),
            line("Bœuf haché 5% MG", Some("2 x 4,50 €"), d(900, 2), "5,5%"),
            line("Côtes-du-Rhône rouge", None, d(890, 2), "20%"),
            line("Sac cabas", None, d(20, 2), "20%"),
        ],
        item_count: Decimal::from(6),
        basket_discount: None,
        vat: vec![
            VatLine {
                rate: rate(d(20, 0)),
                base: d(758, 2),
                tax: d(152, 2),
                total: d(910, 2),
            },
            VatLine {
                rate: rate(d(55, 1)),
                base: d(1237, 2),
                tax: d(68, 2),
                total: d(1305, 2),
            },
        ],
        total: d(2215, 2),
        rounding: None,
        due: d(2215, 2),
        tenders: vec![
            ReceiptTender {
                label: "Carte bancaire".into(),
                amount: d(1000, 2),
                detail: None,
            },
            ReceiptTender {
                label: "Espèces".into(),
                amount: d(2000, 2),
                detail: None,
            },
        ],
        change: Some(d(785, 2)),
        signature_extract: "Xq3f9LkA".into(),
        software_version: "0.1.0".into(),
        duplicate: Some(1),
        training: false,
        flags: Vec::new(),
        footer_lines: vec!["Merci de votre visite !".into()],
        currency: till_core::money::Currency::eur(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escpos::Interpreter;

    #[test]
    fn domain_receipt_prints_with_marks_qr_and_cut() {
        let mut r = sample_receipt(4);
        r.duplicate = Some(2);
        r.training = true;
        let b = render_receipt(&r, Layout::default()).unwrap();
        assert_eq!(&b[..5], &[0x1B, 0x40, 0x1B, 0x74, 0x13]);
        assert_eq!(&b[b.len() - 4..], &[0x1D, 0x56, 0x42, 0x03]);
        let mut paper = Interpreter::new(48);
        paper.feed(&b);
        let text = paper.text();
        assert!(text.contains("D U P L I C A T A"), "{text}");
        assert!(text.contains("DUPLICATA n° 2"), "{text}");
        assert_eq!(text.matches(TRAINING_MARK).count(), 2, "{text}");
        assert!(text.contains("[QR T01-000042|9f3a-77c1]"), "{text}");
        assert!(text.contains("Boeuf haché"), "{text}");
        assert!(text.contains("T O T A L"), "{text}");
        assert!(text.contains("Taux"), "{text}");
        // The total line is bold and double size: GS ! 11 and ESC E 1 precede it.
        let total_at = b.windows(5).position(|w| w == b"TOTAL").unwrap();
        let before = &b[..total_at];
        let last_size = before.windows(2).rposition(|w| w == [0x1D, 0x21]).unwrap();
        assert_eq!(before[last_size + 2], 0x11);
    }

    /// Size only: the time it takes belongs to the benchmark
    /// (`cargo run --release -p till-bench -- --only render`), not to a test
    /// that a loaded machine could fail.
    #[test]
    fn forty_lines_are_near_the_minimal_encoding() {
        for (training, duplicate) in [(false, None), (true, Some(1))] {
            let mut r = sample_receipt(40);
            r.training = training;
            r.duplicate = duplicate;
            let b = render_receipt(&r, Layout::default()).unwrap();
            let min = minimal_encoding_len(&r, Layout::default()).unwrap();
            // A lower bound must be lower.
            assert!(min <= b.len(), "minimum {min} > rendered {}", b.len());
            let ratio = b.len() as f64 / min as f64;
            assert!(
                ratio <= 1.2,
                "{} bytes for a minimum of {min}: {ratio}",
                b.len()
            );
        }
    }

    /// The hand count, checked on a tiny receipt where it can be done on
    /// paper.
    #[test]
    fn minimal_encoding_is_counted_by_hand() {
        let mut r = sample_receipt(1);
        r.address_lines.clear();
        r.vat_number = None;
        r.vat.clear();
        r.tenders.clear();
        r.change = None;
        r.footer_lines.clear();
        r.lines[0].detail = None;
        let qr = cmd::qr(qr_payload(&r).as_bytes(), 4, QrEc::M)
            .unwrap()
            .len();
        let expected = 2 + 3 // ESC @, ESC t
            + 3 + 12 + "Épicerie Comptoir\n".chars().count()
            + "SIRET 12345678900012\n".len()
            + 49 // rule
            + 6 + "TICKET\n".len()
            + 3 // ESC a 0
            + 49 + 49 // two two-column lines, 48 columns + LF each
            + "Caissier : Amélie\n".chars().count()
            + 49 // rule
            + 49 // one article line
            + 49 // rule
            + 12 + 25 // TOTAL TTC in double size: 24 columns + LF
            + 49 // rule
            + 8 + 3 * 13 + 1 // VAT header, no rows: 8 + three columns of 13
            + 49 // rule
            + "Nombre d'articles : 1\n".len()
            + "Signature : 9f3a-77c1\n".len()
            + "Logiciel comptoir 0.1.0\n".len()
            + 3 + qr + 1
            + 4; // GS V 66 3
        assert_eq!(
            minimal_encoding_len(&r, Layout::default()).unwrap(),
            expected
        );
    }

    #[test]
    fn logo_goes_above_the_shop_name_and_must_fit() {
        let r = sample_receipt(1);
        let logo = Logo {
            width_bytes: 2,
            rows: 1,
            bits: vec![0xAA, 0x55],
        };
        let b = render_receipt_with_logo(&r, Layout::default(), Some(&logo)).unwrap();
        let mut paper = Interpreter::new(48);
        paper.feed(&b);
        assert_eq!(paper.lines[0], "[image 16x1 dots]");
        let wide = Logo {
            width_bytes: 80,
            rows: 1,
            bits: vec![0; 80],
        };
        assert!(render_receipt_with_logo(&r, Layout::default(), Some(&wide)).is_err());
    }

    #[test]
    fn every_printed_line_fits_the_paper() {
        let r = sample_receipt(12);
        for width in [32, 42, 48] {
            let b = render_receipt(
                &r,
                Layout {
                    width,
                    ..Layout::default()
                },
            )
            .unwrap();
            let mut paper = Interpreter::new(width);
            paper.feed(&b);
            assert!(
                paper.lines.iter().all(|l| l.chars().count() <= width),
                "{:#?}",
                paper.lines
            );
        }
    }
}

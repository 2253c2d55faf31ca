//! A receipt as ESC/POS bytes.
//!
//! [`ReceiptDoc`] is the print-side view of a receipt: already-worded text
//! and amounts, nothing about how a sale is computed. The till builds it
//! from the domain's receipt; this module only lays it out. Rendering is a
//! single pass into one buffer with style commands sent only when the style
//! changes, so a text receipt stays close to the minimal encoding.

use rust_decimal::Decimal;

use super::cmd::{self, Align, Cut, QrEc};
use super::pc858;
use crate::DeviceError;

/// One sold line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLine {
    /// What the customer reads.
    pub label: String,
    /// Quantity (or weight); a second line shows "qty x unit" when not 1.
    pub quantity: Decimal,
    /// Unit price, tax included.
    pub unit_price: Decimal,
    /// Line amount, tax included, discounts applied.
    pub amount: Decimal,
    /// Short VAT code matching a row of the VAT table ("A", "B"...).
    pub vat_code: String,
}

/// One row of the VAT table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatRow {
    /// Code used on the lines.
    pub code: String,
    /// Rate in percent (20, 10, 5.5, 2.1).
    pub rate: Decimal,
    /// Taxable base (HT).
    pub base: Decimal,
    /// VAT amount.
    pub vat: Decimal,
    /// Total tax included (TTC).
    pub total: Decimal,
}

/// A monochrome logo, 1 bit per dot, MSB leftmost, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// Bytes per row (8 dots each).
    pub width_bytes: u16,
    /// Rows (dots).
    pub rows: u16,
    /// The bits.
    pub bits: Vec<u8>,
}

impl Logo {
    /// Read a binary PBM (P4) image: the format's bit layout (1 = black,
    /// MSB leftmost, rows padded to a byte) is exactly the printer's raster
    /// layout, so any image tool can produce a logo (`convert logo.png -monochrome logo.pbm`).
    pub fn from_pbm(bytes: &[u8]) -> Result<Logo, DeviceError> {
        let bad = |why: &str| DeviceError::InvalidCommand(format!("logo: {why}"));
        let mut pos = 0;
        let mut fields = Vec::new();
        while fields.len() < 3 {
            while pos < bytes.len() && (bytes[pos].is_ascii_whitespace() || bytes[pos] == b'#') {
                if bytes[pos] == b'#' {
                    while pos < bytes.len() && bytes[pos] != b'\n' {
                        pos += 1;
                    }
                } else {
                    pos += 1;
                }
            }
            let start = pos;
            while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            if start == pos {
                return Err(bad("truncated PBM header"));
            }
            fields.push(String::from_utf8_lossy(&bytes[start..pos]).into_owned());
        }
        if fields[0] != "P4" {
            return Err(bad("not a binary PBM (P4) file"));
        }
        let w: u16 = fields[1].parse().map_err(|_| bad("bad width"))?;
        let h: u16 = fields[2].parse().map_err(|_| bad("bad height"))?;
        pos += 1; // the single whitespace byte before the raster
        let width_bytes = w.div_ceil(8);
        let len = width_bytes as usize * h as usize;
        let bits = bytes
            .get(pos..pos + len)
            .ok_or_else(|| bad("truncated PBM data"))?
            .to_vec();
        if len == 0 {
            return Err(bad("empty image"));
        }
        Ok(Logo {
            width_bytes,
            rows: h,
            bits,
        })
    }
}

/// Everything printed on a receipt, in words and amounts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiptDoc {
    /// Shop name, printed large.
    pub shop_name: String,
    /// Address and other header lines (SIRET, phone).
    pub header: Vec<String>,
    /// Terminal, ticket number, date-time, operator: one line each.
    pub meta: Vec<String>,
    /// Sold lines.
    pub lines: Vec<ItemLine>,
    /// Total tax included.
    pub total: Decimal,
    /// Currency sign printed after amounts ("€").
    pub currency: String,
    /// VAT breakdown.
    pub vat: Vec<VatRow>,
    /// Tenders: label and amount.
    pub tenders: Vec<(String, Decimal)>,
    /// Change given back, if any.
    pub change: Option<Decimal>,
    /// Receipt reference (terminal + sequence), carried by the QR code.
    pub reference: String,
    /// Short extract of the record's signature, printed and in the QR code.
    pub signature_extract: String,
    /// Footer lines (thanks, software version).
    pub footer: Vec<String>,
    /// Set on a reprint: the reprint count, printed as "DUPLICATA n".
    pub duplicata: Option<u32>,
    /// Training/demo mode: a mark at the top and bottom.
    pub training: bool,
    /// Optional logo above the shop name.
    pub logo: Option<Logo>,
}

/// Layout settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Characters per line, font A.
    pub width: usize,
    /// `ESC t` code page (19 = PC858).
    pub code_page: u8,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            width: 48,
            code_page: cmd::CODE_PAGE_PC858,
        }
    }
}

/// French amount: "1 234,50" (no thousands separator: receipts are narrow).
pub fn amount(d: Decimal) -> String {
    format!(
        "{:.2}",
        d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    )
    .replace('.', ",")
}

fn rate(d: Decimal) -> String {
    format!("{}%", d.normalize()).replace('.', ",")
}

/// Writes text with styles, emitting a style command only on change.
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
    width: usize,
    align: Align,
    bold: bool,
    size: (u8, u8),
}

impl Writer {
    /// A writer that has sent ESC @ and ESC t.
    pub(crate) fn start(layout: Layout, capacity: usize) -> Self {
        let mut w = Writer {
            out: Vec::with_capacity(capacity),
            width: layout.width,
            align: Align::Left,
            bold: false,
            size: (1, 1),
        };
        w.out.extend_from_slice(&cmd::INIT);
        w.out.extend_from_slice(&cmd::code_page(layout.code_page));
        w
    }
    /// A centred line in the current style.
    pub(crate) fn center(&mut self, text: &str) {
        self.align(Align::Center);
        self.line(text);
    }
    /// A left-aligned line cut to the paper width.
    pub(crate) fn left(&mut self, text: &str) {
        self.align(Align::Left);
        let cols = self.cols();
        let mut cut = String::new();
        let mut w = 0;
        for c in text.chars() {
            let cw = pc858::printed_width(c.encode_utf8(&mut [0u8; 4]));
            if w + cw > cols {
                break;
            }
            cut.push(c);
            w += cw;
        }
        self.line(&cut);
    }
    /// Feed and partial cut: the end of every receipt.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.align(Align::Left);
        self.out.extend(cmd::cut(Cut::FeedPartial(3)));
        self.out
    }
    pub(crate) fn align(&mut self, a: Align) {
        if self.align != a {
            self.align = a;
            self.out.extend_from_slice(&cmd::align(a));
        }
    }
    pub(crate) fn bold(&mut self, b: bool) {
        if self.bold != b {
            self.bold = b;
            self.out.extend_from_slice(&cmd::bold(b));
        }
    }
    pub(crate) fn size(&mut self, w: u8, h: u8) {
        if self.size != (w, h) {
            self.size = (w, h);
            self.out.extend_from_slice(&cmd::size(w, h));
        }
    }
    fn cols(&self) -> usize {
        self.width / self.size.0 as usize
    }
    pub(crate) fn line(&mut self, text: &str) {
        pc858::encode_into(text, &mut self.out);
        self.out.push(b'\n');
    }
    /// `left` then `right` flush to the right edge; the left side is cut
    /// short (never wrapped) so amounts stay in their column.
    pub(crate) fn two_cols(&mut self, left: &str, right: &str) {
        let cols = self.cols();
        let rw = pc858::printed_width(right);
        let room = cols.saturating_sub(rw + 1);
        let mut l = String::new();
        let mut lw = 0;
        for c in left.chars() {
            let w = pc858::printed_width(c.encode_utf8(&mut [0u8; 4]));
            if lw + w > room {
                break;
            }
            l.push(c);
            lw += w;
        }
        let pad = cols.saturating_sub(lw + rw);
        pc858::encode_into(&l, &mut self.out);
        self.out.extend(std::iter::repeat_n(b' ', pad));
        pc858::encode_into(right, &mut self.out);
        self.out.push(b'\n');
    }
    pub(crate) fn rule(&mut self) {
        let n = self.cols();
        self.out.extend(std::iter::repeat_n(b'-', n));
        self.out.push(b'\n');
    }
}

fn training_mark(w: &mut Writer) {
    w.align(Align::Center);
    w.bold(true);
    w.size(2, 2);
    w.line("FORMATION");
    w.size(1, 1);
    w.line("*** Ticket d'entraînement, sans valeur ***");
    w.bold(false);
}

/// Render `doc` to ESC/POS bytes ready for the printer.
pub fn render(doc: &ReceiptDoc, layout: Layout) -> Result<Vec<u8>, DeviceError> {
    let mut w = Writer {
        out: Vec::with_capacity(256 + doc.lines.len() * 64),
        width: layout.width,
        align: Align::Left,
        bold: false,
        size: (1, 1),
    };
    w.out.extend_from_slice(&cmd::INIT);
    w.out.extend_from_slice(&cmd::code_page(layout.code_page));
    let cur = |d: Decimal| format!("{} {}", amount(d), doc.currency);

    if doc.training {
        training_mark(&mut w);
    }
    if let Some(logo) = &doc.logo {
        w.align(Align::Center);
        w.out
            .extend(cmd::raster(logo.width_bytes, logo.rows, &logo.bits)?);
    }
    w.align(Align::Center);
    w.bold(true);
    w.size(2, 2);
    w.line(&doc.shop_name);
    w.size(1, 1);
    w.bold(false);
    for h in &doc.header {
        w.line(h);
    }
    if let Some(n) = doc.duplicata {
        w.bold(true);
        w.size(2, 2);
        w.line("DUPLICATA");
        w.size(1, 1);
        w.line(&format!("Réimpression n° {n}"));
        w.bold(false);
    }
    w.align(Align::Left);
    for m in &doc.meta {
        w.line(m);
    }
    w.rule();
    for l in &doc.lines {
        w.two_cols(&l.label, &format!("{} {}", amount(l.amount), l.vat_code));
        if l.quantity != Decimal::ONE {
            w.line(&format!(
                "  {} x {}",
                l.quantity.normalize().to_string().replace('.', ","),
                amount(l.unit_price)
            ));
        }
    }
    w.rule();
    w.bold(true);
    w.size(2, 2);
    w.two_cols("TOTAL", &cur(doc.total));
    w.size(1, 1);
    w.bold(false);
    for (label, a) in &doc.tenders {
        w.two_cols(label, &cur(*a));
    }
    if let Some(c) = doc.change {
        w.two_cols("Rendu", &cur(c));
    }
    if !doc.vat.is_empty() {
        w.rule();
        let row = |c: &str, r: &str, b: &str, v: &str, t: &str| {
            format!("{c:<3}{r:>7}{b:>12}{v:>12}{t:>12}")
        };
        w.line(&row("", "Taux", "HT", "TVA", "TTC"));
        for v in &doc.vat {
            w.line(&row(
                &v.code,
                &rate(v.rate),
                &amount(v.base),
                &amount(v.vat),
                &amount(v.total),
            ));
        }
    }
    w.rule();
    if !doc.reference.is_empty() {
        w.align(Align::Center);
        let data = format!("{}|{}", doc.reference, doc.signature_extract);
        w.out.extend(cmd::qr(data.as_bytes(), 4, QrEc::M)?);
        w.out.push(b'\n');
        w.line(&doc.reference);
        if !doc.signature_extract.is_empty() {
            w.line(&format!("Signature : {}", doc.signature_extract));
        }
    }
    w.align(Align::Center);
    for f in &doc.footer {
        w.line(f);
    }
    if doc.training {
        training_mark(&mut w);
    }
    w.align(Align::Left);
    w.out.extend(cmd::cut(Cut::FeedPartial(3)));
    Ok(w.out)
}

/// A realistic French receipt with `n` lines, for tests, the test page and
/// the benchmark.
pub fn sample(n: usize) -> ReceiptDoc {
    use rust_decimal_macros_free::dec;
    let labels = [
        "Pain de campagne",
        "Crème fraîche épaisse",
        "Bœuf haché 5%",
        "Pâté en croûte",
        "Café moulu",
    ];
    let mut lines = Vec::new();
    let mut total = Decimal::ZERO;
    for i in 0..n {
        let unit = dec(150 + (i as i64 * 37) % 900, 2);
        let qty = Decimal::from(1 + (i % 3) as i64);
        let amt = unit * qty;
        total += amt;
        lines.push(ItemLine {
            label: labels[i % labels.len()].to_string(),
            quantity: qty,
            unit_price: unit,
            amount: amt,
            vat_code: "B".into(),
        });
    }
    // One rate (5,5 %) keeps the sample's VAT exact without the domain's rules.
    let rate = dec(55, 1);
    let base = (total * Decimal::from(100) / (Decimal::from(100) + rate)).round_dp(2);
    ReceiptDoc {
        shop_name: "Épicerie Comptoir".into(),
        header: vec![
            "12 rue de la Paix, 75002 Paris".into(),
            "SIRET 123 456 789 00012".into(),
        ],
        meta: vec![
            "Terminal T1 - Ticket 000042".into(),
            "23/11/2026 14:05".into(),
            "Caissier : Amélie".into(),
        ],
        lines,
        total,
        currency: "€".into(),
        vat: vec![VatRow {
            code: "B".into(),
            rate,
            base,
            vat: total - base,
            total,
        }],
        tenders: vec![("Espèces".into(), total + Decimal::from(5))],
        change: Some(Decimal::from(5)),
        reference: "T1-000042".into(),
        signature_extract: "Xq3f9LkA".into(),
        footer: vec!["Merci de votre visite !".into(), "comptoir 0.1.0".into()],
        duplicata: None,
        training: false,
        logo: None,
    }
}

/// The full French receipt kept as a golden byte stream in
/// `hw-fixtures/receipts/french-receipt.hex`: two VAT rates, an oe ligature,
/// split tender with change, QR code, DUPLICATA.
pub fn french_example() -> ReceiptDoc {
    use rust_decimal_macros_free::dec;
    let line = |label: &str, q: i64, unit: Decimal, code: &str| ItemLine {
        label: label.into(),
        quantity: Decimal::from(q),
        unit_price: unit,
        amount: unit * Decimal::from(q),
        vat_code: code.into(),
    };
    ReceiptDoc {
        shop_name: "Épicerie Comptoir".into(),
        header: vec![
            "12 rue de la Paix, 75002 Paris".into(),
            "SIRET 123 456 789 00012 - TVA FR12123456789".into(),
        ],
        meta: vec![
            "Terminal T1 - Ticket 000042".into(),
            "23/11/2026 14:05".into(),
            "Caissier : Amélie".into(),
        ],
        lines: vec![
            line("Pain de campagne", 1, dec(210, 2), "B"),
            line("Crème fraîche épaisse", 1, dec(195, 2), "B"),
            line("Bœuf haché 5% MG", 2, dec(450, 2), "B"),
            line("Côtes-du-Rhône rouge", 1, dec(890, 2), "A"),
            line("Sac cabas", 1, dec(20, 2), "A"),
        ],
        total: dec(2215, 2),
        currency: "€".into(),
        vat: vec![
            VatRow {
                code: "A".into(),
                rate: dec(20, 0),
                base: dec(758, 2),
                vat: dec(152, 2),
                total: dec(910, 2),
            },
            VatRow {
                code: "B".into(),
                rate: dec(55, 1),
                base: dec(1237, 2),
                vat: dec(68, 2),
                total: dec(1305, 2),
            },
        ],
        tenders: vec![
            ("Carte bancaire".into(), dec(1000, 2)),
            ("Espèces".into(), dec(2000, 2)),
        ],
        change: Some(dec(785, 2)),
        reference: "T1-000042".into(),
        signature_extract: "Xq3f9LkA".into(),
        footer: vec!["Merci de votre visite !".into(), "comptoir 0.1.0".into()],
        duplicata: Some(1),
        training: false,
        logo: None,
    }
}

/// Decimal literal helper without the macro crate.
mod rust_decimal_macros_free {
    use rust_decimal::Decimal;
    pub fn dec(mantissa: i64, scale: u32) -> Decimal {
        Decimal::new(mantissa, scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escpos::Interpreter;

    #[test]
    fn pbm_logo_becomes_a_raster_image() {
        let mut pbm = b"P4\n# comptoir\n10 2\n".to_vec();
        pbm.extend([0xFF, 0xC0, 0x80, 0x40]);
        let logo = Logo::from_pbm(&pbm).unwrap();
        assert_eq!((logo.width_bytes, logo.rows), (2, 2));
        let mut doc = sample(1);
        doc.logo = Some(logo);
        let b = render(&doc, Layout::default()).unwrap();
        let raster = [
            0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0xFF, 0xC0, 0x80, 0x40,
        ];
        assert!(b.windows(raster.len()).any(|w| w == raster));
        assert!(Logo::from_pbm(b"P1\n1 1\n1").is_err());
        assert!(Logo::from_pbm(b"P4\n16 16\n\x00").is_err());
        assert!(Logo::from_pbm(b"P4\n").is_err());
    }

    #[test]
    fn amounts_use_a_decimal_comma() {
        assert_eq!(amount(Decimal::new(1250, 2)), "12,50");
        assert_eq!(amount(Decimal::new(5, 0)), "5,00");
        assert_eq!(rate(Decimal::new(55, 1)), "5,5%");
        assert_eq!(rate(Decimal::new(200, 1)), "20%");
    }

    #[test]
    fn receipt_starts_with_init_and_pc858_and_ends_with_a_partial_cut() {
        let b = render(&sample(3), Layout::default()).unwrap();
        assert_eq!(&b[..5], &[0x1B, 0x40, 0x1B, 0x74, 0x13]);
        assert_eq!(&b[b.len() - 4..], &[0x1D, 0x56, 0x42, 0x03]);
        // The euro sign went out as PC858 0xD5.
        assert!(b.contains(&0xD5));
    }

    #[test]
    fn rendering_reads_back() {
        let mut doc = sample(3);
        doc.duplicata = Some(2);
        doc.training = true;
        let b = render(&doc, Layout::default()).unwrap();
        let mut i = Interpreter::new(48);
        i.feed(&b);
        let text = i.text();
        assert!(text.contains("D U P L I C A T A"), "{text}");
        assert!(text.contains("Réimpression n° 2"), "{text}");
        assert_eq!(text.matches("F O R M A T I O N").count(), 2, "{text}");
        assert!(text.contains("[QR T1-000042|Xq3f9LkA]"), "{text}");
        assert!(text.contains("Crème fraîche épaisse"), "{text}");
        assert!(text.contains("Boeuf haché"), "{text}"); // œ spelled out
        assert!(text.contains("T O T A L"), "{text}");
        assert!(text.contains("Signature : Xq3f9LkA"));
    }

    #[test]
    fn long_labels_are_cut_not_wrapped() {
        let mut doc = sample(1);
        doc.lines[0].label = "x".repeat(80);
        let b = render(
            &doc,
            Layout {
                width: 32,
                ..Layout::default()
            },
        )
        .unwrap();
        let mut i = Interpreter::new(32);
        i.feed(&b);
        let line = i.lines.iter().find(|l| l.starts_with("xxx")).unwrap();
        assert_eq!(line.len(), 32);
        assert!(line.ends_with(" B"));
    }

    #[test]
    fn text_receipt_is_near_minimal() {
        // Minimal encoding: the printed characters plus one LF per line and
        // init/code page/cut; style commands are the overhead measured.
        let doc = sample(40);
        let b = render(&doc, Layout::default()).unwrap();
        let mut i = Interpreter::new(48);
        i.feed(&b);
        let qr_len = 8 * 4 + 5 + "T1-000042|Xq3f9LkA".len();
        let printed: usize = i
            .lines
            .iter()
            .filter(|l| !l.starts_with('[') && !l.contains(" cut "))
            .map(|l| l.trim_start().chars().count() + 1)
            .sum();
        let minimal = printed + 2 + 3 + 4 + qr_len;
        let ratio = b.len() as f64 / minimal as f64;
        assert!(
            ratio <= 1.2,
            "{} bytes vs minimal {minimal}: {ratio:.3}",
            b.len()
        );
    }
}

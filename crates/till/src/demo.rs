//! The demo shop: a small French grocery catalog with valid EAN-13 codes and the
//! right VAT rates, demo users with known PINs, and a generator of large
//! catalogs for load tests and benchmarks.

use anyhow::{Context, Result};
use rust_decimal::Decimal;
use till_core::barcode::{with_check_digit, EmbeddedPattern};
use till_core::records::Unit;
use till_core::{Item, PurchaseRules, VatRate};

/// Weighed goods carry their weight in grams on a shop-printed label:
/// prefix 21, five digits of item code, five of grams, check digit.
pub const WEIGHT_PATTERN: &str = "21.....{WWWWW}";
/// Price-embedded labels (reduced-price stickers): prefix 22, price in cents.
pub const PRICE_PATTERN: &str = "22.....{PPPPP}";

/// (name, price TTC, VAT %, unit, GS1 France 12-digit payload or weighed code)
const GROCERY: &[(&str, &str, &str, Unit, &str)] = &[
    (
        "Baguette tradition",
        "1.30",
        "5.5",
        Unit::Piece,
        "376000100001",
    ),
    (
        "Croissant pur beurre",
        "1.20",
        "5.5",
        Unit::Piece,
        "376000100002",
    ),
    (
        "Lait demi-écrémé 1 L",
        "1.15",
        "5.5",
        Unit::Piece,
        "376000100003",
    ),
    (
        "Beurre doux 250 g",
        "2.89",
        "5.5",
        Unit::Piece,
        "376000100004",
    ),
    (
        "Œufs plein air x6",
        "2.45",
        "5.5",
        Unit::Piece,
        "376000100005",
    ),
    (
        "Camembert de Normandie",
        "3.20",
        "5.5",
        Unit::Piece,
        "376000100006",
    ),
    (
        "Comté 18 mois 200 g",
        "4.95",
        "5.5",
        Unit::Piece,
        "376000100007",
    ),
    (
        "Yaourt nature x4",
        "1.65",
        "5.5",
        Unit::Piece,
        "376000100008",
    ),
    (
        "Pâtes coquillettes 500 g",
        "1.09",
        "5.5",
        Unit::Piece,
        "376000100009",
    ),
    (
        "Riz de Camargue 1 kg",
        "2.75",
        "5.5",
        Unit::Piece,
        "376000100010",
    ),
    (
        "Café moulu 250 g",
        "3.49",
        "5.5",
        Unit::Piece,
        "376000100011",
    ),
    (
        "Thé vert 20 sachets",
        "2.30",
        "5.5",
        Unit::Piece,
        "376000100012",
    ),
    (
        "Confiture d'abricot",
        "2.99",
        "5.5",
        Unit::Piece,
        "376000100013",
    ),
    (
        "Huile d'olive 75 cl",
        "7.90",
        "5.5",
        Unit::Piece,
        "376000100014",
    ),
    (
        "Chocolat noir 70 %",
        "2.15",
        "5.5",
        Unit::Piece,
        "376000100015",
    ),
    (
        "Eau minérale 1,5 L",
        "0.59",
        "5.5",
        Unit::Piece,
        "376000100016",
    ),
    (
        "Jus d'orange 1 L",
        "2.19",
        "5.5",
        Unit::Piece,
        "376000100017",
    ),
    (
        "Sandwich jambon-beurre",
        "3.90",
        "10",
        Unit::Piece,
        "376000100018",
    ),
    ("Salade composée", "4.50", "10", Unit::Piece, "376000100019"),
    ("Café à emporter", "1.50", "10", Unit::Piece, "376000100020"),
    (
        "Vin rouge Côtes-du-Rhône",
        "6.90",
        "20",
        Unit::Piece,
        "376000100021",
    ),
    (
        "Bière blonde 33 cl",
        "1.35",
        "20",
        Unit::Piece,
        "376000100022",
    ),
    (
        "Cidre brut 75 cl",
        "3.10",
        "20",
        Unit::Piece,
        "376000100023",
    ),
    (
        "Liquide vaisselle",
        "1.99",
        "20",
        Unit::Piece,
        "376000100024",
    ),
    (
        "Papier toilette x6",
        "3.45",
        "20",
        Unit::Piece,
        "376000100025",
    ),
    (
        "Savon de Marseille",
        "2.60",
        "20",
        Unit::Piece,
        "376000100026",
    ),
    ("Piles AA x4", "4.99", "20", Unit::Piece, "376000100027"),
    (
        "Sac cabas réutilisable",
        "0.99",
        "20",
        Unit::Piece,
        "376000100028",
    ),
    (
        "Quotidien régional",
        "1.40",
        "2.1",
        Unit::Piece,
        "376000100029",
    ),
    (
        "Médicament paracétamol",
        "2.18",
        "2.1",
        Unit::Piece,
        "376000100030",
    ),
    ("Pommes Golden (kg)", "2.49", "5.5", Unit::Kg, "40001"),
    ("Tomates grappe (kg)", "3.29", "5.5", Unit::Kg, "40002"),
    ("Bananes (kg)", "1.89", "5.5", Unit::Kg, "40003"),
    ("Emmental râpé (kg)", "11.90", "5.5", Unit::Kg, "40004"),
    ("Jambon blanc (kg)", "18.50", "5.5", Unit::Kg, "40005"),
];

/// The demo shop's own tenders: titres-restaurant on paper (the drawer
/// opens, an excess is the customer's loss) and on a card (the exact
/// amount), as config/till.toml's commented `[[tenders]]` write them.
pub fn tenders() -> Vec<till_core::tenders::ShopTender> {
    use till_core::records::TenderCode;
    use till_core::tenders::{Excess, PaysFor, ShopTender};
    let code = |c: &str| TenderCode::new(c).ok();
    let mut out = Vec::new();
    if let (Some(paper), Some(card)) = (code("titre_restaurant"), code("titre_restaurant_carte")) {
        out.push(ShopTender {
            code: paper,
            label: "Titres-restaurant".into(),
            short_label: Some("TR papier".into()),
            gives_change: false,
            opens_drawer: true,
            max_per_sale: None,
            pays_for: PaysFor::MealVoucher,
            excess: Excess::Lost,
        });
        out.push(ShopTender {
            code: card,
            label: "Titres-restaurant carte".into(),
            short_label: Some("TR carte".into()),
            gives_change: false,
            opens_drawer: false,
            max_per_sale: None,
            pays_for: PaysFor::MealVoucher,
            excess: Excess::Refused,
        });
    }
    out
}

/// The demo catalog and its label patterns.
pub fn catalog() -> Result<(Vec<Item>, Vec<EmbeddedPattern>)> {
    let mut items = Vec::with_capacity(GROCERY.len());
    for (i, (name, price, vat, unit, code)) in GROCERY.iter().enumerate() {
        let barcodes = match unit {
            Unit::Piece => {
                vec![with_check_digit(code).with_context(|| format!("demo barcode for {name}"))?]
            }
            Unit::Kg => Vec::new(),
        };
        let id = match unit {
            Unit::Piece => format!("{:05}", 10001 + i),
            Unit::Kg => code.to_string(),
        };
        items.push(Item {
            id,
            barcodes,
            name: name.to_string(),
            price: price.parse().context("demo price")?,
            vat_rate: VatRate::percent(vat.parse().context("demo VAT rate")?)?,
            unit: *unit,
            stock_tracked: true,
            // Food (5,5 %) and prepared food (10 %) may be paid in
            // titres-restaurant; alcohol and household goods (20 %), the
            // newspaper and medicine (2,1 %) may not.
            meal_voucher: matches!(*vat, "5.5" | "10"),
            rules: PurchaseRules {
                min_qty: None,
                max_qty: if *name == "Piles AA x4" {
                    Some(Decimal::from(10))
                } else {
                    None
                },
            },
        });
    }
    Ok((items, patterns()?))
}

pub fn patterns() -> Result<Vec<EmbeddedPattern>> {
    Ok(vec![
        EmbeddedPattern::parse(WEIGHT_PATTERN).context("weight pattern")?,
        EmbeddedPattern::parse(PRICE_PATTERN).context("price pattern")?,
    ])
}

/// A weight label for a weighed demo item, as the shop's scale prints it.
pub fn weight_label(item_code: &str, grams: u32) -> Result<String> {
    Ok(with_check_digit(&format!("21{item_code}{grams:05}"))?)
}

/// A synthetic catalog of `n` items with valid, distinct EAN-13 codes, for load
/// tests and benchmarks (100,000 items is a large hypermarket).
pub fn synthetic_catalog(n: usize) -> Result<Vec<Item>> {
    let rates = ["5.5", "5.5", "5.5", "10", "20", "20", "2.1"];
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let payload = format!("3{:011}", 500_000_000 + i as u64);
        let cents = 49 + (i as i64 * 7919) % 4950;
        items.push(Item {
            id: format!("A{i:07}"),
            barcodes: vec![with_check_digit(&payload)?],
            name: format!("Article {i}"),
            price: Decimal::new(cents, 2),
            vat_rate: VatRate::percent(rates[i % rates.len()].parse()?)?,
            unit: Unit::Piece,
            stock_tracked: i % 50 != 0,
            meal_voucher: false,
            rules: PurchaseRules::default(),
        });
    }
    Ok(items)
}

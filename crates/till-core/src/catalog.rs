//! The catalog as the till holds it: items indexed by id and by barcode, so a
//! scan resolves in O(1) even with 100,000 articles.

use crate::barcode::{
    self, parse_gs1, parse_retail, parse_upc_e, BarcodeError, Embedded, EmbeddedPattern, Gs1Error,
    Gs1Reading, Symbology,
};
use crate::money::Money;
use crate::records::{ItemId, Unit};
use crate::vat::VatRate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Per-item purchase rules (B2B practice): breaking one asks for approval.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseRules {
    /// Fewest units one order may hold (e.g. sold by the box of 6).
    #[serde(default)]
    pub min_qty: Option<Decimal>,
    /// Most units one order may hold (e.g. rationed goods).
    #[serde(default)]
    pub max_qty: Option<Decimal>,
}

/// One article as head office publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The shop's article code, also what a cashier types.
    pub id: ItemId,
    /// EAN/UPC or internal codes printed on the goods.
    #[serde(default)]
    pub barcodes: Vec<String>,
    /// Name printed on the receipt.
    pub name: String,
    /// Tax-inclusive (TTC) price per piece or per kilogram.
    pub price: Money,
    /// VAT rate applied to this article.
    pub vat_rate: VatRate,
    /// Sold by the piece or by weight.
    pub unit: Unit,
    /// Whether selling it moves stock (services and gift cards do not).
    #[serde(default = "yes")]
    pub stock_tracked: bool,
    /// Minimum/maximum quantity per order.
    #[serde(default)]
    pub rules: PurchaseRules,
    /// Food a titre-restaurant may pay for (absent: no). Left out of the
    /// JSON when false, so items written before it existed keep their bytes.
    #[serde(default, skip_serializing_if = "is_false")]
    pub meal_voucher: bool,
}

fn yes() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How a code was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupSource {
    /// The item id, typed in.
    ItemCode,
    /// A barcode registered on the item.
    Barcode,
    /// A restricted-circulation label decoded by a pattern.
    Embedded,
    /// The GTIN of a GS1 element string.
    Gs1,
}

/// The result of resolving a scanned or typed code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup<'a> {
    /// The article found.
    pub item: &'a Item,
    /// The code as given (trimmed), recorded on the sale line.
    pub code: String,
    /// How it was found.
    pub source: LookupSource,
    /// The price/weight/quantity of an embedded label.
    pub embedded: Option<Embedded>,
    /// The whole GS1 reading (batch, expiry, net weight...).
    pub gs1: Option<Gs1Reading>,
}

/// Why a catalog cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Two items share an id.
    #[error("item id {0:?} appears twice")]
    DuplicateId(String),
    /// Two items share a barcode, so a scan would be ambiguous.
    #[error("barcode {barcode:?} is on both {first:?} and {second:?}")]
    DuplicateBarcode {
        /// The barcode.
        barcode: String,
        /// The item that had it first.
        first: ItemId,
        /// The item that has it too.
        second: ItemId,
    },
}

/// Why a code does not resolve to an item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// Nothing was typed or scanned.
    #[error("empty code")]
    Empty,
    /// A retail-length barcode that fails validation (misread or mistyped).
    #[error("invalid barcode: {0}")]
    Barcode(#[from] BarcodeError),
    /// A GS1 element string that cannot be read.
    #[error("invalid GS1 code: {0}")]
    Gs1(#[from] Gs1Error),
    /// A GS1 string without an AI (01) GTIN to look up.
    #[error("GS1 code has no GTIN")]
    Gs1WithoutGtin,
    /// No item has this code.
    #[error("no item with code {0:?}")]
    NotFound(String),
    /// A label decoded by a pattern names an item the catalog lacks.
    #[error("label {code:?} names item {item_code:?}, which is not in the catalog")]
    EmbeddedItemNotFound {
        /// The scanned label.
        code: String,
        /// The item code it carries.
        item_code: String,
    },
}

/// The in-memory catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    items: Vec<Item>,
    by_id: HashMap<String, usize>,
    by_barcode: HashMap<String, usize>,
    patterns: Vec<EmbeddedPattern>,
}

/// The index key of a code: digit strings of GTIN length are padded to 14 so
/// that a UPC-A, its EAN-13 form and a GS1 GTIN-14 find the same item.
fn barcode_key(code: &str) -> String {
    let len = code.len();
    if (8..14).contains(&len) && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("{code:0>14}")
    } else {
        code.to_string()
    }
}

/// AIM identifiers of plain retail symbologies a scanner may prepend.
const RETAIL_AIM: [&str; 4] = ["]E0", "]E4", "]E3", "]A0"];

impl Catalog {
    /// Indexes `items`; `patterns` decode price/weight labels, tried in order.
    pub fn new(items: Vec<Item>, patterns: Vec<EmbeddedPattern>) -> Result<Catalog, CatalogError> {
        let mut by_id = HashMap::with_capacity(items.len());
        let mut by_barcode = HashMap::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if by_id.insert(item.id.clone(), i).is_some() {
                return Err(CatalogError::DuplicateId(item.id.clone()));
            }
            for code in &item.barcodes {
                if let Some(prev) = by_barcode.insert(barcode_key(code), i) {
                    if prev != i {
                        return Err(CatalogError::DuplicateBarcode {
                            barcode: code.clone(),
                            first: items[prev].id.clone(),
                            second: item.id.clone(),
                        });
                    }
                }
            }
        }
        Ok(Catalog {
            items,
            by_id,
            by_barcode,
            patterns,
        })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the catalog has no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// All items, in the order given.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The label patterns in use.
    pub fn patterns(&self) -> &[EmbeddedPattern] {
        &self.patterns
    }

    /// The item with this id.
    pub fn get(&self, id: &str) -> Option<&Item> {
        self.by_id.get(id).map(|&i| &self.items[i])
    }

    /// The item carrying this barcode (UPC-A, EAN-13 and GTIN-14 forms match).
    pub fn by_barcode(&self, code: &str) -> Option<&Item> {
        self.by_barcode
            .get(&barcode_key(code))
            .map(|&i| &self.items[i])
    }

    /// Resolves a scanned or typed code. In order: an item id; a GS1 element
    /// string (AIM prefix `]C1`, or a GS separator); a retail barcode, whose check
    /// digit must be right; a price/weight label through the patterns; any other
    /// registered (internal) code.
    pub fn lookup(&self, code: &str) -> Result<Lookup<'_>, LookupError> {
        let code = code.trim_matches(|c: char| c.is_ascii_whitespace());
        if code.is_empty() {
            return Err(LookupError::Empty);
        }
        // An exact item id wins, even one that looks like a GS1 string.
        if let Some(item) = self.get(code) {
            return Ok(Lookup {
                item,
                code: code.to_string(),
                source: LookupSource::ItemCode,
                embedded: None,
                gs1: None,
            });
        }
        if is_gs1(code) {
            return self.lookup_gs1(code);
        }
        let bare = RETAIL_AIM
            .iter()
            .find_map(|p| code.strip_prefix(p))
            .unwrap_or(code);
        if bare.is_empty() {
            return Err(LookupError::Empty);
        }
        let found = |item, source| Lookup {
            item,
            code: bare.to_string(),
            source,
            embedded: None,
            gs1: None,
        };
        if let Some(item) = self.get(bare) {
            return Ok(found(item, LookupSource::ItemCode));
        }
        let retail_len = matches!(bare.len(), 8 | 12 | 13);
        if retail_len && bare.bytes().all(|b| b.is_ascii_digit()) {
            let parsed = parse_retail(bare)?;
            if let Some(item) = self.by_barcode(bare) {
                return Ok(found(item, LookupSource::Barcode));
            }
            // A UPC-E is catalogued under the UPC-A it expands to; an 8-digit code
            // valid both as EAN-8 and as UPC-E may be either.
            let upc_e = match parsed.symbology {
                Symbology::UpcE => Some(parsed.clone()),
                Symbology::Ean8 => parse_upc_e(bare).ok(),
                _ => None,
            };
            if let Some(item) = upc_e.and_then(|u| self.by_barcode(&u.gtin13())) {
                return Ok(found(item, LookupSource::Barcode));
            }
            if let Some(e) = barcode::embedded::decode_with(&self.patterns, &parsed) {
                let item = self
                    .by_barcode(&e.base_code)
                    .or_else(|| self.get(&e.item_code))
                    .or_else(|| self.by_barcode(&e.item_code))
                    .ok_or_else(|| LookupError::EmbeddedItemNotFound {
                        code: bare.to_string(),
                        item_code: e.item_code.clone(),
                    })?;
                let mut l = found(item, LookupSource::Embedded);
                l.embedded = Some(e);
                return Ok(l);
            }
            return Err(LookupError::NotFound(bare.to_string()));
        }
        self.by_barcode(bare)
            .map(|item| found(item, LookupSource::Barcode))
            .ok_or_else(|| LookupError::NotFound(bare.to_string()))
    }

    fn lookup_gs1(&self, code: &str) -> Result<Lookup<'_>, LookupError> {
        let reading = parse_gs1(code)?;
        let gtin = reading.gtin.clone().ok_or(LookupError::Gs1WithoutGtin)?;
        let item = self
            .by_barcode(&gtin)
            .ok_or_else(|| LookupError::NotFound(gtin.clone()))?;
        Ok(Lookup {
            item,
            code: gtin,
            source: LookupSource::Gs1,
            embedded: None,
            gs1: Some(reading),
        })
    }
}

/// A GS1 element string rather than a plain code: announced by its AIM prefix,
/// or given away by a GS separator or by a length no retail code has that
/// starts with AI 01.
fn is_gs1(code: &str) -> bool {
    ["]C1", "]e0", "]d2", "]Q3"]
        .iter()
        .any(|p| code.starts_with(p))
        || code.contains(barcode::gs1::GS)
        || (code.len() >= 16 && code.starts_with("01") && code.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barcode::with_check_digit;
    use rust_decimal_macros::dec;

    pub(crate) fn item(id: &str, barcodes: &[&str], price: Money, unit: Unit) -> Item {
        Item {
            id: id.into(),
            barcodes: barcodes.iter().map(|s| s.to_string()).collect(),
            name: format!("Article {id}"),
            price,
            vat_rate: VatRate::percent(dec!(20)).unwrap(),
            unit,
            stock_tracked: true,
            meal_voucher: false,
            rules: PurchaseRules::default(),
        }
    }

    fn catalog() -> Catalog {
        Catalog::new(
            vec![
                item("NUT400", &["3017620422003"], dec!(3.99), Unit::Piece),
                item("CEREAL", &["0036000291452"], dec!(2.50), Unit::Piece),
                item("MINT", &["96385074", "INT-77"], dec!(1.20), Unit::Piece),
                item("UPCE", &["042100005264"], dec!(1), Unit::Piece),
                item("UPCE2", &["0012345000065"], dec!(1), Unit::Piece),
                item("12345", &[], dec!(19.90), Unit::Kg),
                item(
                    "CHEESE",
                    &[&with_check_digit("201111100000").unwrap()],
                    dec!(25),
                    Unit::Kg,
                ),
            ],
            vec![
                EmbeddedPattern::parse("20.....{PPPPP}").unwrap(),
                EmbeddedPattern::parse("02xxxxx{WWWWW}").unwrap(),
            ],
        )
        .unwrap()
    }

    #[test]
    fn finds_by_id_barcode_and_upc_forms() {
        let c = catalog();
        assert_eq!(c.lookup("NUT400").unwrap().source, LookupSource::ItemCode);
        let l = c.lookup(" 3017620422003\r\n").unwrap();
        assert_eq!(
            (l.item.id.as_str(), l.source),
            ("NUT400", LookupSource::Barcode)
        );
        // Stored as EAN-13 with a leading zero, scanned as UPC-A.
        assert_eq!(c.lookup("036000291452").unwrap().item.id, "CEREAL");
        assert_eq!(c.lookup("]E0").unwrap_err(), LookupError::Empty);
        assert_eq!(c.lookup("]E03017620422003").unwrap().item.id, "NUT400");
        assert_eq!(c.lookup("96385074").unwrap().item.id, "MINT");
        assert_eq!(c.lookup("INT-77").unwrap().item.id, "MINT");
        // UPC-E scans find the item catalogued under its UPC-A.
        assert_eq!(c.lookup("04252614").unwrap().item.id, "UPCE");
        assert_eq!(c.lookup("01234565").unwrap().item.id, "UPCE2");
    }

    #[test]
    fn bad_check_digit_and_unknown_codes() {
        let c = catalog();
        assert!(matches!(
            c.lookup("3017620422004"),
            Err(LookupError::Barcode(BarcodeError::BadCheckDigit { .. }))
        ));
        assert_eq!(
            c.lookup("4006381333931"),
            Err(LookupError::NotFound("4006381333931".into()))
        );
        assert_eq!(c.lookup("   "), Err(LookupError::Empty));
    }

    #[test]
    fn embedded_labels_resolve_by_base_code_or_item_code() {
        let c = catalog();
        let l = c
            .lookup(&with_check_digit("201111101234").unwrap())
            .unwrap();
        assert_eq!(l.item.id, "CHEESE");
        assert_eq!(l.embedded.unwrap().price, Some(dec!(12.34)));
        let l = c
            .lookup(&with_check_digit("021234500750").unwrap())
            .unwrap();
        assert_eq!(l.item.id, "12345");
        assert_eq!(l.embedded.unwrap().weight_kg, Some(dec!(0.750)));
        assert!(matches!(
            c.lookup(&with_check_digit("029999900750").unwrap()),
            Err(LookupError::EmbeddedItemNotFound { .. })
        ));
    }

    #[test]
    fn gs1_strings_resolve_by_gtin() {
        let c = catalog();
        let l = c.lookup("]C101030176204220031726063010L42").unwrap();
        assert_eq!(l.item.id, "NUT400");
        assert_eq!(l.gs1.unwrap().batch.as_deref(), Some("L42"));
        assert!(matches!(
            c.lookup("]C110L42"),
            Err(LookupError::Gs1WithoutGtin)
        ));
        assert!(matches!(c.lookup("]C199"), Err(LookupError::Gs1(_))));
    }

    #[test]
    fn duplicates_are_refused() {
        let a = item("A", &["3017620422003"], dec!(1), Unit::Piece);
        let b = item("B", &["03017620422003"], dec!(1), Unit::Piece);
        assert!(matches!(
            Catalog::new(vec![a.clone(), b], vec![]),
            Err(CatalogError::DuplicateBarcode { .. })
        ));
        assert_eq!(
            Catalog::new(vec![a.clone(), a], vec![]).unwrap_err(),
            CatalogError::DuplicateId("A".into())
        );
    }

    #[test]
    fn a_hundred_thousand_items_index_and_resolve() {
        let items: Vec<Item> = (0..100_000u32)
            .map(|n| {
                let code = with_check_digit(&format!("{:012}", 300_000_000_000u64 + u64::from(n)))
                    .unwrap();
                item(&format!("I{n}"), &[&code], dec!(1), Unit::Piece)
            })
            .collect();
        let c = Catalog::new(items, vec![]).unwrap();
        let code = with_check_digit("300000099999").unwrap();
        assert_eq!(c.lookup(&code).unwrap().item.id, "I99999");
        assert_eq!(c.len(), 100_000);
    }
}

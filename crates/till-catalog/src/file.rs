//! Reading a catalog file: one format for `headoffice load-catalog` (a
//! chain's catalog, published to its tills) and `till catalog import` (a
//! shop without head office), parsed here once.
//!
//! - JSON: an array of items as `till_core::Item` serialises them, each with an
//!   optional `"store_id"` (absent: the price for every store; present: that
//!   store's own price, which wins there).
//! - CSV (RFC 4180, UTF-8, comma-separated, `.` as the decimal point). The
//!   header row is required: it names the columns, in any order;
//!   `id,name,price,vat_rate,unit` are required, and optional are `barcodes`
//!   (separated by `|`), `stock_tracked` (true/false), `store_id`,
//!   `min_qty`, `max_qty`, `low_stock`, `deleted`, `meal_voucher`
//!   (true/false, default false: food a titre-restaurant may pay for; in
//!   JSON, the item's `"meal_voucher": true`). An error names the line
//!   and the column (`line 4, column 3 (price)`).
//!
//! Both forms take `low_stock` (a `low_stock` alert is raised when the
//! store's level falls to or below it) and `deleted` (true: the item is
//! withdrawn, for every store or for `store_id`; only `id` is needed then,
//! other cells may be empty).

use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use till_core::catalog::PurchaseRules;
use till_core::records::Unit;
use till_core::{Item, VatRate};

/// A catalog row to load: an item, for every store (`store_id` None) or one.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogRow {
    /// The store whose price this is (None: every store's).
    pub store_id: Option<String>,
    /// The article.
    pub item: Item,
    /// Raise a `low_stock` alert when the store's level falls to or below this.
    pub low_stock: Option<Decimal>,
    /// The item is withdrawn (for every store, or for `store_id`): tills drop
    /// it from their catalog. Only `item.id` matters then.
    pub deleted: bool,
}

impl CatalogRow {
    /// A row of `item` for `store_id` (None: every store).
    pub fn new(store_id: Option<String>, item: Item) -> CatalogRow {
        CatalogRow {
            store_id,
            item,
            low_stock: None,
            deleted: false,
        }
    }
}

/// A catalog file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The JSON does not parse, or an item in it does not.
    #[error("JSON: {0}")]
    Json(String),
    /// A CSV line is wrong; `column` is its number (from 1) and header name.
    #[error("CSV line {line}{}: {detail}", column.as_ref().map(|(n, name)| format!(", column {n} ({name})")).unwrap_or_default())]
    Csv {
        /// The line (from 1; the header is line 1).
        line: usize,
        /// The column, if one cell is at fault.
        column: Option<(usize, String)>,
        /// What is wrong.
        detail: String,
    },
    /// An item is not one a till can sell.
    #[error("item {id}: {detail}")]
    Item {
        /// The item's id.
        id: String,
        /// What is wrong.
        detail: String,
    },
}

#[derive(Deserialize)]
struct JsonRow {
    #[serde(default)]
    store_id: Option<String>,
    #[serde(default)]
    low_stock: Option<Decimal>,
    #[serde(default)]
    deleted: bool,
    /// The item's own fields (only `id` when deleted).
    #[serde(flatten)]
    item: serde_json::Map<String, serde_json::Value>,
}

/// Parses a JSON catalog.
pub fn parse_json(text: &str) -> Result<Vec<CatalogRow>, LoadError> {
    let rows: Vec<JsonRow> =
        serde_json::from_str(text).map_err(|e| LoadError::Json(e.to_string()))?;
    rows.into_iter()
        .map(|r| {
            let item = if r.deleted {
                let id = r
                    .item
                    .get("id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                withdrawn(id)?
            } else {
                let item: Item = serde_json::from_value(serde_json::Value::Object(r.item))
                    .map_err(|e| LoadError::Json(e.to_string()))?;
                normalise(item)?
            };
            row(r.store_id, item, r.low_stock, r.deleted)
        })
        .collect()
}

fn row(
    store_id: Option<String>,
    item: Item,
    low_stock: Option<Decimal>,
    deleted: bool,
) -> Result<CatalogRow, LoadError> {
    if let Some(t) = low_stock.filter(|t| *t < Decimal::ZERO) {
        return Err(LoadError::Item {
            id: item.id,
            detail: format!("negative low_stock threshold {t}"),
        });
    }
    Ok(CatalogRow {
        store_id: store_id.filter(|s| !s.is_empty()),
        item,
        low_stock,
        deleted,
    })
}

/// The stand-in item of a deletion row: only its id is ever used.
fn withdrawn(id: &str) -> Result<Item, LoadError> {
    if id.trim().is_empty() {
        return Err(LoadError::Item {
            id: id.to_string(),
            detail: "a deletion needs the item's id".into(),
        });
    }
    Ok(Item {
        id: id.trim().to_string(),
        barcodes: Vec::new(),
        name: String::new(),
        price: Decimal::ZERO,
        vat_rate: VatRate::percent(Decimal::ZERO).map_err(|e| LoadError::Item {
            id: id.to_string(),
            detail: e.to_string(),
        })?,
        unit: Unit::Piece,
        stock_tracked: false,
        meal_voucher: false,
        rules: PurchaseRules::default(),
    })
}

/// Checks an item and normalises its VAT rate to two decimals.
fn normalise(mut item: Item) -> Result<Item, LoadError> {
    let bad = |detail: String| LoadError::Item {
        id: item.id.clone(),
        detail,
    };
    if item.id.trim().is_empty() {
        return Err(bad("empty id".into()));
    }
    if item.price < Decimal::ZERO {
        return Err(bad(format!("negative price {}", item.price)));
    }
    item.vat_rate = VatRate::percent(item.vat_rate.as_percent()).map_err(|e| bad(e.to_string()))?;
    Ok(item)
}

/// Splits CSV text into records (quotes, doubled quotes, CRLF), each with
/// the line it starts on; also head office's customers file's reader.
pub fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, LoadError> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut record = Vec::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].is_empty()) {
                    out.push((start_line, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                start_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(LoadError::Csv {
            line: start_line,
            column: None,
            detail: "a quote opened here is never closed".into(),
        });
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        out.push((start_line, record));
    }
    Ok(out)
}

/// Parses a CSV catalog (see the module documentation for the columns).
pub fn parse_csv(text: &str) -> Result<Vec<CatalogRow>, LoadError> {
    let mut records = csv_records(text)?.into_iter();
    let Some((_, header)) = records.next() else {
        return Ok(Vec::new());
    };
    let col: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                i,
            )
        })
        .collect();
    for need in ["id", "name", "price", "vat_rate", "unit"] {
        if !col.contains_key(need) {
            return Err(LoadError::Csv {
                line: 1,
                column: None,
                detail: format!(
                    "missing column {need:?}: the first line must be the header row, \
                     naming the columns (at least id,name,price,vat_rate,unit)"
                ),
            });
        }
    }
    let mut out = Vec::new();
    for (line, rec) in records {
        let get = |name: &str| -> Option<&str> {
            col.get(name).and_then(|&i| rec.get(i)).map(|s| s.trim())
        };
        let at = |name: &str| col.get(name).map(|&i| (i + 1, name.to_string()));
        let err = |name: &str, detail: String| LoadError::Csv {
            line,
            column: at(name),
            detail,
        };
        let dec = |name: &str| -> Result<Option<Decimal>, LoadError> {
            match get(name).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s.parse().map(Some).map_err(|_| {
                    err(
                        name,
                        format!("{s:?} is not a decimal number (write 2.50, with a point)"),
                    )
                }),
            }
        };
        let id = get("id").unwrap_or_default().to_string();
        let deleted = match get("deleted").unwrap_or("false") {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" | "" => false,
            other => return Err(err("deleted", format!("{other:?}: use true or false"))),
        };
        let store_id = get("store_id").filter(|s| !s.is_empty()).map(String::from);
        let low_stock = dec("low_stock")?;
        if deleted {
            out.push(row(store_id, withdrawn(&id)?, low_stock, true)?);
            continue;
        }
        let price = dec("price")?.ok_or_else(|| err("price", "empty".into()))?;
        let rate = dec("vat_rate")?.ok_or_else(|| err("vat_rate", "empty".into()))?;
        let vat_rate = VatRate::percent(rate).map_err(|e| err("vat_rate", e.to_string()))?;
        let unit = match get("unit").unwrap_or_default() {
            "piece" | "" => Unit::Piece,
            "kg" => Unit::Kg,
            other => return Err(err("unit", format!("{other:?}: use piece or kg"))),
        };
        let stock_tracked = match get("stock_tracked").unwrap_or("true") {
            "true" | "1" | "yes" | "" => true,
            "false" | "0" | "no" => false,
            other => {
                return Err(err(
                    "stock_tracked",
                    format!("{other:?}: use true or false"),
                ))
            }
        };
        let meal_voucher = match get("meal_voucher").unwrap_or("false") {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" | "" => false,
            other => return Err(err("meal_voucher", format!("{other:?}: use true or false"))),
        };
        let barcodes = get("barcodes")
            .unwrap_or_default()
            .split('|')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(String::from)
            .collect();
        let item = Item {
            id,
            barcodes,
            name: get("name").unwrap_or_default().to_string(),
            price,
            vat_rate,
            unit,
            stock_tracked,
            meal_voucher,
            rules: PurchaseRules {
                min_qty: dec("min_qty")?,
                max_qty: dec("max_qty")?,
            },
        };
        let item = normalise(item).map_err(|e| match e {
            LoadError::Item { detail, .. } => LoadError::Csv {
                line,
                column: None,
                detail,
            },
            other => other,
        })?;
        out.push(row(store_id, item, low_stock, false)?);
    }
    Ok(out)
}

/// Reads a catalog file's text by its extension: `csv` or `json`.
pub fn parse(text: &str, extension: Option<&str>) -> Result<Vec<CatalogRow>, LoadError> {
    match extension.map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => parse_csv(text),
        Some("json") => parse_json(text),
        _ => Err(LoadError::Json(
            "name the file .csv or .json: its extension says which it is".into(),
        )),
    }
}

/// The articles one store sells, from the rows of a file: a row for the
/// store (its own price) wins over the row for every store; a deletion
/// (for every store, or for this one) withdraws the article; rows of other
/// stores are ignored. Sorted by id.
pub fn items_for_store(rows: &[CatalogRow], store_id: &str) -> Vec<Item> {
    let mut all: std::collections::BTreeMap<&str, Option<&Item>> = Default::default();
    // Rows for every store first, then the store's own: the last one wins.
    let general = rows.iter().filter(|r| r.store_id.is_none());
    let own = rows
        .iter()
        .filter(|r| r.store_id.as_deref() == Some(store_id));
    for r in general.chain(own) {
        all.insert(r.item.id.as_str(), (!r.deleted).then_some(&r.item));
    }
    all.into_values().flatten().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quotes_and_store_prices() {
        let text = "id,name,price,vat_rate,unit,barcodes,store_id\r\n\
                    A1,\"Pain, complet\",2.50,5.5,piece,3012345678900|123,\r\n\
                    A1,\"Pain \"\"bio\"\"\",2.70,5.5,piece,,S2\n";
        let rows = parse_csv(text).expect("parses");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].item.name, "Pain, complet");
        assert_eq!(rows[0].item.barcodes, vec!["3012345678900", "123"]);
        assert_eq!(rows[0].item.vat_rate.as_percent().to_string(), "5.50");
        assert_eq!(rows[0].store_id, None);
        assert_eq!(rows[1].item.name, "Pain \"bio\"");
        assert_eq!(rows[1].store_id.as_deref(), Some("S2"));
    }

    #[test]
    fn bad_rows_are_named() {
        let e = parse_csv("id,name,price,vat_rate,unit\nA,B,abc,20,piece\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "CSV line 2, column 3 (price): \"abc\" is not a decimal number (write 2.50, with a point)"
        );
        let e = parse_csv("id,name,price\n").unwrap_err();
        assert!(e.to_string().contains("vat_rate"), "{e}");
        // A file without its header row: the first article is taken for one.
        let e = parse_csv("A,Lait,1.20,5.5,piece\n").unwrap_err();
        assert!(e.to_string().contains("header row"), "{e}");
        let e = parse_csv("id,name,price,vat_rate,unit\nA,B,1,20,box\n").unwrap_err();
        assert!(
            e.to_string().starts_with("CSV line 2, column 5 (unit)"),
            "{e}"
        );
    }

    #[test]
    fn a_store_sells_its_own_price_and_not_what_is_withdrawn() {
        let rows = parse_csv(
            "id,name,price,vat_rate,unit,store_id,deleted\n\
             A,Lait,1.20,5.5,piece,,\n\
             A,Lait,1.30,5.5,piece,S2,\n\
             B,Pain,1.10,5.5,piece,,\n\
             B,,,,,S2,true\n",
        )
        .expect("parses");
        let s1 = items_for_store(&rows, "S1");
        assert_eq!(s1.len(), 2);
        let s2 = items_for_store(&rows, "S2");
        assert_eq!(s2.len(), 1);
        assert_eq!(s2[0].price.to_string(), "1.30");
    }

    #[test]
    fn meal_voucher_eligibility_reads_from_csv_and_json_and_defaults_to_no() {
        let rows = parse_csv(
            "id,name,price,vat_rate,unit,meal_voucher\n\
             A,Sandwich,4.50,5.5,piece,true\n\
             B,Lessive,9.90,20,piece,\n",
        )
        .expect("parses");
        assert!(rows[0].item.meal_voucher);
        assert!(!rows[1].item.meal_voucher);
        let e = parse_csv("id,name,price,vat_rate,unit,meal_voucher\nA,B,1,20,piece,oui\n")
            .unwrap_err();
        assert!(e.to_string().contains("column 6 (meal_voucher)"), "{e}");
        let rows = parse_json(
            r#"[{"id":"A","name":"Pain","price":"1.20","vat_rate":"5.5","unit":"piece","meal_voucher":true},
                {"id":"B","name":"Lessive","price":"9.90","vat_rate":"20","unit":"piece"}]"#,
        )
        .expect("parses");
        assert!(rows[0].item.meal_voucher && !rows[1].item.meal_voucher);
        // An item that is not eligible keeps the bytes it had before the flag.
        let json = serde_json::to_string(&rows[1].item).unwrap();
        assert!(!json.contains("meal_voucher"), "{json}");
    }

    #[test]
    fn json_rows() {
        let rows = parse_json(
            r#"[{"id":"A","name":"Lait","price":"1.20","vat_rate":"5.5","unit":"piece"},
                {"store_id":"S2","id":"A","name":"Lait","price":"1.30","vat_rate":"5.5","unit":"piece"}]"#,
        )
        .expect("parses");
        assert_eq!(rows.len(), 2);
        assert!(rows[0].item.stock_tracked);
        assert_eq!(rows[1].store_id.as_deref(), Some("S2"));
    }
}

//! Reading a catalog file for `headoffice load-catalog`.
//!
//! - JSON: an array of items as `till_core::Item` serialises them, each with an
//!   optional `"store_id"` (absent: the price for every store; present: that
//!   store's own price, which wins there).
//! - CSV (RFC 4180, header row): `id,name,price,vat_rate,unit` required;
//!   optional `barcodes` (separated by `|`), `stock_tracked` (true/false),
//!   `store_id`, `min_qty`, `max_qty`, `low_stock`, `deleted`.
//!
//! Both forms take `low_stock` (a `low_stock` alert is raised when the
//! store's level falls to or below it) and `deleted` (true: the item is
//! withdrawn, for every store or for `store_id`; only `id` is needed then,
//! other cells may be empty).

use crate::store::CatalogRow;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use till_core::catalog::PurchaseRules;
use till_core::records::Unit;
use till_core::{Item, VatRate};

/// A catalog file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("JSON: {0}")]
    Json(String),
    #[error("CSV line {line}: {detail}")]
    Csv { line: usize, detail: String },
    #[error("item {id}: {detail}")]
    Item { id: String, detail: String },
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

/// Splits CSV text into records (quotes, doubled quotes, CRLF).
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, LoadError> {
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
            detail: "unterminated quote".into(),
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
        .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
        .collect();
    for need in ["id", "name", "price", "vat_rate", "unit"] {
        if !col.contains_key(need) {
            return Err(LoadError::Csv {
                line: 1,
                detail: format!("missing column {need:?}"),
            });
        }
    }
    let mut out = Vec::new();
    for (line, rec) in records {
        let get = |name: &str| -> Option<&str> {
            col.get(name).and_then(|&i| rec.get(i)).map(|s| s.trim())
        };
        let err = |detail: String| LoadError::Csv { line, detail };
        let dec = |name: &str| -> Result<Option<Decimal>, LoadError> {
            match get(name).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse()
                    .map(Some)
                    .map_err(|_| err(format!("{name} {s:?} is not a decimal"))),
            }
        };
        let id = get("id").unwrap_or_default().to_string();
        let deleted = match get("deleted").unwrap_or("false") {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" | "" => false,
            other => return Err(err(format!("deleted {other:?}: use true or false"))),
        };
        let store_id = get("store_id").filter(|s| !s.is_empty()).map(String::from);
        let low_stock = dec("low_stock")?;
        if deleted {
            out.push(row(store_id, withdrawn(&id)?, low_stock, true)?);
            continue;
        }
        let price = dec("price")?.ok_or_else(|| err("price is empty".into()))?;
        let rate = dec("vat_rate")?.ok_or_else(|| err("vat_rate is empty".into()))?;
        let vat_rate = VatRate::percent(rate).map_err(|e| err(e.to_string()))?;
        let unit = match get("unit").unwrap_or_default() {
            "piece" | "" => Unit::Piece,
            "kg" => Unit::Kg,
            other => return Err(err(format!("unit {other:?}: use piece or kg"))),
        };
        let stock_tracked = match get("stock_tracked").unwrap_or("true") {
            "true" | "1" | "yes" | "" => true,
            "false" | "0" | "no" => false,
            other => return Err(err(format!("stock_tracked {other:?}: use true or false"))),
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
            rules: PurchaseRules {
                min_qty: dec("min_qty")?,
                max_qty: dec("max_qty")?,
            },
        };
        out.push(row(store_id, normalise(item)?, low_stock, false)?);
    }
    Ok(out)
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
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse_csv("id,name,price\n").unwrap_err();
        assert!(e.to_string().contains("vat_rate"), "{e}");
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

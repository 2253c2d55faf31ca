//! Head office's catalog files (`headoffice load-catalog`, load.rs): CSV
//! and JSON. Every row it accepts is one a store can hold: an id, a price
//! not below zero, a VAT rate with two decimals.

use headoffice::load::{parse_csv, parse_json, LoadError};
use headoffice::store::CatalogRow;
use rust_decimal::Decimal;

use super::Sig;
use crate::Target;

fn check(rows: &Result<Vec<CatalogRow>, LoadError>, sig: &mut Sig) {
    match rows {
        Ok(rows) => {
            for r in rows {
                assert!(!r.item.id.trim().is_empty(), "a row without id: {r:?}");
                if !r.deleted {
                    assert!(r.item.price >= Decimal::ZERO, "negative price: {r:?}");
                    assert!(
                        r.item.vat_rate.as_percent().scale() <= 2,
                        "VAT rate not normalised: {r:?}"
                    );
                }
                assert!(
                    !matches!(r.low_stock, Some(t) if t < Decimal::ZERO),
                    "negative threshold: {r:?}"
                );
                assert!(r.store_id.as_deref() != Some(""), "empty store id kept");
            }
            sig.add(1).add(rows.len().min(8) as u64);
            for r in rows.iter().take(4) {
                sig.add(r.deleted as u64)
                    .add(r.store_id.is_some() as u64)
                    .add(r.item.barcodes.len().min(3) as u64);
            }
        }
        Err(e) => {
            sig.err(e);
        }
    }
}

const CSV_DICT: &[&[u8]] = &[
    b"id,name,price,vat_rate,unit",
    b",barcodes,stock_tracked,store_id,min_qty,max_qty,low_stock,deleted",
    b"\r\n",
    b"\n",
    b",",
    b"\"",
    b"\"\"",
    b"|",
    b"piece",
    b"kg",
    b"true",
    b"yes",
    b"5.5",
    b"20",
    b"-0.01",
    b"3012345678900",
];

pub const CATALOG_CSV: Target = Target {
    name: "catalog-csv",
    about: "head office catalog CSV (RFC 4180, header row)",
    max_len: 32 * 1024,
    seeds: || crate::seed_files("catalog-csv"),
    dict: CSV_DICT,
    run: |input| {
        let mut sig = Sig::default();
        let text = String::from_utf8_lossy(input);
        check(&parse_csv(&text), &mut sig);
        sig.get()
    },
};

pub const CATALOG_JSON: Target = Target {
    name: "catalog-json",
    about: "head office catalog JSON (array of items, store_id, low_stock, deleted)",
    max_len: 32 * 1024,
    seeds: || crate::seed_files("catalog-json"),
    dict: &[
        b"\"id\":\"A\"",
        b"\"name\":\"Lait\"",
        b"\"price\":\"1.20\"",
        b"\"vat_rate\":\"5.5\"",
        b"\"unit\":\"kg\"",
        b"\"store_id\":\"S2\"",
        b"\"low_stock\":\"3\"",
        b"\"deleted\":true",
        b"\"barcodes\":[\"3012345678900\"]",
        b"\"rules\":{\"min_qty\":\"1\",\"max_qty\":\"0\"}",
        b"\"stock_tracked\":false",
    ],
    run: |input| {
        let mut sig = Sig::default();
        let text = String::from_utf8_lossy(input);
        check(&parse_json(&text), &mut sig);
        sig.get()
    },
};

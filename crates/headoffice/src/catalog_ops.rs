//! The back office's catalog changes, written once for both backends on top
//! of [`Store::load_catalog`]: each is the next catalog version, which the
//! tills pull as before (`GET /v1/catalog?since=`), so a price changed here
//! reaches a till with its next sync.
//!
//! - [`edit_item`]: name, VAT rate (a French rate), unit, barcodes, min/max
//!   purchase quantity and every-store price; the stores' own rows follow
//!   (they keep their own price), since a store's row wins over the shared one.
//! - [`set_store_price`]: a store's own price.
//! - [`withdraw`]: the item leaves every store's till.
//! - [`preview_import`] then [`Store::load_catalog`]: a CSV of
//!   `headoffice load-catalog`'s format, what it would change first.
//!
//! An edit names the version it was made from: if the item changed since
//! (another person, another tab), it is refused rather than overwriting.

use crate::load::{parse_csv, LoadError};
use crate::store::{CatalogRow, Store, StoreError};
use rust_decimal::Decimal;
use till_core::records::Unit;
use till_core::{Item, VatRate};

/// The VAT rates in force in mainland France, in percent.
pub const FRENCH_VAT_RATES: [&str; 5] = ["20", "10", "5.5", "2.1", "0"];
/// The largest price an item may have.
pub const MAX_PRICE: i64 = 1_000_000;

/// What the item form submits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEdit {
    pub id: String,
    pub name: String,
    /// The every-store price, tax included.
    pub price: Decimal,
    pub vat_rate: Decimal,
    pub unit: Unit,
    pub barcodes: Vec<String>,
    pub min_qty: Option<Decimal>,
    pub max_qty: Option<Decimal>,
}

/// Why an edit is refused (each names the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditInvalid {
    #[error("name: empty or over 120 characters")]
    Name,
    #[error("price {0}: must be between 0 and {MAX_PRICE}, with at most 2 decimals")]
    Price(Decimal),
    #[error("VAT rate {0} %: not a French rate (20, 10, 5.5, 2.1 or 0)")]
    VatRate(Decimal),
    #[error("barcode {0:?}: 1 to 32 letters or digits")]
    Barcode(String),
    #[error("barcode {code} is already item {item}'s")]
    BarcodeTaken { code: String, item: String },
    #[error("minimum/maximum quantity: above 0, at most 10000000, and the minimum not above the maximum")]
    Quantity,
    #[error("unknown store {0}")]
    UnknownStore(String),
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// Saved as this catalog version.
    Saved {
        version: u64,
    },
    /// Nothing to change (already so: a form submitted twice).
    Unchanged,
    /// The item changed since the form was shown (now at `version`): nothing saved.
    Conflict {
        version: u64,
    },
    /// No such item (or never loaded for every store).
    NotFound,
    Invalid(EditInvalid),
}

fn price_ok(p: Decimal) -> bool {
    p >= Decimal::ZERO && p <= Decimal::from(MAX_PRICE) && p.normalize().scale() <= 2
}

/// The VAT rate if it is a French one.
pub fn french_rate(rate: Decimal) -> Option<VatRate> {
    FRENCH_VAT_RATES
        .iter()
        .filter_map(|r| r.parse::<Decimal>().ok())
        .any(|r| r == rate)
        .then(|| VatRate::percent(rate).ok())
        .flatten()
}

fn check(edit: &ItemEdit) -> Result<VatRate, EditInvalid> {
    let name = edit.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(EditInvalid::Name);
    }
    if !price_ok(edit.price) {
        return Err(EditInvalid::Price(edit.price));
    }
    let rate = french_rate(edit.vat_rate).ok_or(EditInvalid::VatRate(edit.vat_rate))?;
    for b in &edit.barcodes {
        if b.is_empty() || b.len() > 32 || !b.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(EditInvalid::Barcode(b.clone()));
        }
    }
    let q_ok = |q: Option<Decimal>| q.is_none_or(|q| crate::store::stockops::quantity_ok(q, false));
    if !q_ok(edit.min_qty)
        || !q_ok(edit.max_qty)
        || matches!((edit.min_qty, edit.max_qty), (Some(a), Some(b)) if a > b)
    {
        return Err(EditInvalid::Quantity);
    }
    Ok(rate)
}

/// The first of `barcodes` another item than `id` carries, with that item.
fn barcode_taken(
    store: &dyn Store,
    id: &str,
    barcodes: &[String],
) -> Result<Option<(String, String)>, StoreError> {
    for b in barcodes {
        for h in store.catalog_search(b, 0, 20)? {
            if h.item.id != id && !h.deleted && h.item.barcodes.contains(b) {
                return Ok(Some((b.clone(), h.item.id)));
            }
        }
    }
    Ok(None)
}

/// Saves an item's edit, made from the item at `from_version`.
pub fn edit_item(
    store: &dyn Store,
    edit: &ItemEdit,
    from_version: u64,
) -> Result<EditOutcome, StoreError> {
    let rate = match check(edit) {
        Ok(r) => r,
        Err(e) => return Ok(EditOutcome::Invalid(e)),
    };
    let Some(rows) = store.catalog_item(&edit.id)? else {
        return Ok(EditOutcome::NotFound);
    };
    let Some(shared) = rows.shared else {
        return Ok(EditOutcome::NotFound);
    };
    let mut barcodes = edit.barcodes.clone();
    barcodes.dedup();
    let new = Item {
        id: shared.item.id.clone(),
        barcodes,
        name: edit.name.trim().to_string(),
        price: edit.price,
        vat_rate: rate,
        unit: edit.unit,
        stock_tracked: shared.item.stock_tracked,
        meal_voucher: shared.item.meal_voucher,
        rules: till_core::PurchaseRules {
            min_qty: edit.min_qty,
            max_qty: edit.max_qty,
        },
    };
    if new == shared.item && !shared.deleted {
        return Ok(EditOutcome::Unchanged);
    }
    if shared.version != from_version {
        return Ok(EditOutcome::Conflict {
            version: shared.version,
        });
    }
    if let Some((code, item)) = barcode_taken(store, &new.id, &new.barcodes)? {
        return Ok(EditOutcome::Invalid(EditInvalid::BarcodeTaken {
            code,
            item,
        }));
    }
    let mut load = vec![CatalogRow::new(None, new.clone())];
    // A store's own row wins there: it follows, with its own price (and a
    // withdrawn item put back on sale comes back in every store).
    for (s, own) in rows.stores {
        if !own.deleted || shared.deleted {
            let mut item = new.clone();
            item.price = own.item.price;
            load.push(CatalogRow::new(Some(s), item));
        }
    }
    let version = store.load_catalog(&load)?;
    Ok(EditOutcome::Saved { version })
}

/// Sets `store_id`'s own price of an item (the every-store price: the
/// store follows the others again, at that price).
pub fn set_store_price(
    store: &dyn Store,
    store_id: &str,
    item_id: &str,
    price: Decimal,
) -> Result<EditOutcome, StoreError> {
    if !price_ok(price) {
        return Ok(EditOutcome::Invalid(EditInvalid::Price(price)));
    }
    if !store.store_ids()?.iter().any(|s| s == store_id) {
        return Ok(EditOutcome::Invalid(EditInvalid::UnknownStore(
            store_id.to_string(),
        )));
    }
    let Some(rows) = store.catalog_item(item_id)? else {
        return Ok(EditOutcome::NotFound);
    };
    let Some(shared) = rows.shared.filter(|s| !s.deleted) else {
        return Ok(EditOutcome::NotFound);
    };
    let mut item = shared.item;
    item.price = price;
    let own = rows.stores.iter().find(|(s, _)| s == store_id);
    if own.is_some_and(|(_, o)| !o.deleted && o.item == item) {
        return Ok(EditOutcome::Unchanged);
    }
    let version = store.load_catalog(&[CatalogRow::new(Some(store_id.to_string()), item)])?;
    Ok(EditOutcome::Saved { version })
}

/// Withdraws an item from every store.
pub fn withdraw(store: &dyn Store, item_id: &str) -> Result<EditOutcome, StoreError> {
    let Some(rows) = store.catalog_item(item_id)? else {
        return Ok(EditOutcome::NotFound);
    };
    let Some(shared) = rows.shared else {
        return Ok(EditOutcome::NotFound);
    };
    if shared.deleted && rows.stores.iter().all(|(_, o)| o.deleted) {
        return Ok(EditOutcome::Unchanged);
    }
    let gone = |store_id: Option<String>| CatalogRow {
        deleted: true,
        ..CatalogRow::new(store_id, shared.item.clone())
    };
    let mut load = vec![gone(None)];
    load.extend(rows.stores.into_iter().map(|(s, _)| gone(Some(s))));
    let version = store.load_catalog(&load)?;
    Ok(EditOutcome::Saved { version })
}

/// A field of an item, as the import preview names it.
pub const FIELDS: [&str; 8] = [
    "name",
    "price",
    "vat_rate",
    "unit",
    "barcodes",
    "stock_tracked",
    "min_qty",
    "max_qty",
];

/// The fields of `old` that `new` changes.
pub fn changed_fields(old: &Item, new: &Item) -> Vec<&'static str> {
    let same = [
        old.name == new.name,
        old.price == new.price,
        old.vat_rate == new.vat_rate,
        old.unit == new.unit,
        old.barcodes == new.barcodes,
        old.stock_tracked == new.stock_tracked,
        old.rules.min_qty == new.rules.min_qty,
        old.rules.max_qty == new.rules.max_qty,
    ];
    FIELDS
        .iter()
        .zip(same)
        .filter(|(_, s)| !s)
        .map(|(f, _)| *f)
        .collect()
}

/// One row an import changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportChange {
    /// None: every store.
    pub store_id: Option<String>,
    pub item_id: String,
    /// The fields it changes (empty for a new or withdrawn item; `deleted`
    /// for a withdrawn one put back on sale).
    pub fields: Vec<&'static str>,
}

/// What an import would do; nothing is applied until
/// [`Store::load_catalog`] of `rows`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPreview {
    pub new: Vec<ImportChange>,
    pub changed: Vec<ImportChange>,
    pub withdrawn: Vec<ImportChange>,
    pub unchanged: usize,
    /// The catalog version previewed against.
    pub version: u64,
    pub rows: Vec<CatalogRow>,
}

/// Why an import cannot be previewed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] LoadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads a CSV of `headoffice load-catalog`'s format and says what loading
/// it would change, without changing anything.
pub fn preview_import(store: &dyn Store, csv: &str) -> Result<ImportPreview, ImportError> {
    let rows = parse_csv(csv)?;
    let version = store.catalog_version()?;
    let keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.store_id.clone().unwrap_or_default(), r.item.id.clone()))
        .collect();
    let current = store.catalog_current(&keys)?;
    let mut p = ImportPreview {
        new: Vec::new(),
        changed: Vec::new(),
        withdrawn: Vec::new(),
        unchanged: 0,
        version,
        rows: Vec::new(),
    };
    for (row, key) in rows.iter().zip(keys) {
        let change = |fields| ImportChange {
            store_id: row.store_id.clone(),
            item_id: row.item.id.clone(),
            fields,
        };
        let old = current.get(&key);
        match (old, row.deleted) {
            (Some((_, false)), true) => p.withdrawn.push(change(Vec::new())),
            (_, true) => p.unchanged += 1,
            (None, false) => p.new.push(change(Vec::new())),
            (Some((json, deleted)), false) => {
                let old: Item = serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
                    what: "catalog.item",
                    detail: e.to_string(),
                })?;
                let mut fields = changed_fields(&old, &row.item);
                if *deleted {
                    fields.insert(0, "deleted");
                }
                if fields.is_empty() {
                    p.unchanged += 1;
                } else {
                    p.changed.push(change(fields));
                }
            }
        }
    }
    p.rows = rows;
    Ok(p)
}

/// Applies a previewed import if the catalog is still at the version it
/// was previewed against; else says the version now.
pub fn confirm_import(
    store: &dyn Store,
    csv: &str,
    previewed: u64,
) -> Result<Result<u64, u64>, ImportError> {
    let rows = parse_csv(csv)?;
    let now = store.catalog_version()?;
    if now != previewed {
        return Ok(Err(now));
    }
    Ok(Ok(store.load_catalog(&rows)?))
}

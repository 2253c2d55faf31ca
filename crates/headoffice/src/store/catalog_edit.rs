//! The back office's catalog reads: search (by name, item code or barcode,
//! a page at a time), one item with its stores' own rows, and the rows an
//! import would change. Writes all go through [`super::Store::load_catalog`]
//! ([`crate::catalog_ops`] builds its rows), so every edit is the next
//! catalog version the tills pull as before.
//!
//! Search reads an index of words (`catalog_words`: each word of an item's
//! name, its code and its barcodes, folded to lower case without accents),
//! matched by prefix on an indexed range of bytes: the same speed with
//! 100,000 items as with 100. The index follows the catalog by version
//! ([`CatalogEditStore::catalog_search`] first indexes what changed since
//! it last looked), so `headoffice load-catalog` needs no hook.

use super::Result;
use rust_decimal::Decimal;
use std::collections::HashMap;
use till_core::Item;

/// Words a search matches at most (the others are ignored).
pub const MAX_QUERY_WORDS: usize = 4;
/// Words indexed per item at most.
const MAX_ITEM_WORDS: usize = 48;

/// One catalog row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogHit {
    pub item: Item,
    /// The catalog version at which it last changed.
    pub version: u64,
    /// Withdrawn (the last item text kept).
    pub deleted: bool,
}

/// An item as the back office edits it: the every-store row and each
/// store's own row (its own price).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatalogItemRows {
    pub shared: Option<CatalogHit>,
    /// (store, its own row), by store.
    pub stores: Vec<(String, CatalogHit)>,
    /// (store, low-stock threshold); store '' = every store.
    pub thresholds: Vec<(String, Decimal)>,
}

/// (store '' = every store, item id) -> (item JSON, withdrawn), as stored.
pub type CurrentRows = HashMap<(String, String), (String, bool)>;

/// Folds text into search words: lower case, French accents dropped,
/// anything not a letter or a digit separates words.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut w = String::new();
    for c in text.chars() {
        let folded: Option<&str> = match c {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' | 'Á' => Some("a"),
            'ç' | 'Ç' => Some("c"),
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => Some("e"),
            'î' | 'ï' | 'í' | 'Î' | 'Ï' => Some("i"),
            'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' => Some("o"),
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' => Some("u"),
            'ÿ' | 'Ÿ' => Some("y"),
            'ñ' | 'Ñ' => Some("n"),
            'œ' | 'Œ' => Some("oe"),
            'æ' | 'Æ' => Some("ae"),
            _ => None,
        };
        match folded {
            Some(f) => w.push_str(f),
            None if c.is_alphanumeric() => w.extend(c.to_lowercase()),
            None => {
                if !w.is_empty() {
                    out.push(std::mem::take(&mut w));
                }
            }
        }
    }
    if !w.is_empty() {
        out.push(w);
    }
    out
}

/// The words an item is found by: its name's, its code's (also whole, its
/// separators dropped) and its barcodes. Deduplicated, bounded.
pub fn item_words(item: &Item) -> Vec<Vec<u8>> {
    let mut all = words(&item.name);
    let code = words(&item.id);
    if code.len() > 1 {
        all.push(code.concat());
    }
    all.extend(code);
    for b in &item.barcodes {
        all.extend(words(b));
    }
    let mut out: Vec<Vec<u8>> = all
        .into_iter()
        .map(|w| w.into_bytes())
        .filter(|w| w.len() <= 64)
        .collect();
    out.sort();
    out.dedup();
    out.truncate(MAX_ITEM_WORDS);
    out
}

/// A query's words as byte ranges `[lo, hi)`: a word matches each word of
/// the index it is a prefix of.
pub fn query_ranges(query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    words(query)
        .into_iter()
        .take(MAX_QUERY_WORDS)
        .filter_map(|w| {
            let lo = w.into_bytes();
            let mut hi = lo.clone();
            // UTF-8 never holds 0xFF, so the last byte always has a successor.
            let last = hi.last_mut()?;
            *last = last.checked_add(1)?;
            Some((lo, hi))
        })
        .collect()
}

/// How many items of a search word are counted to choose the one that
/// gives a search its candidates ([`search_driver`]).
pub const SEARCH_DRIVER_CAP: i64 = 500;

/// Which word of a search (by its capped item count) gives the
/// candidates: the rarest, unless every word reaches the cap (then none:
/// the catalog is read in item order, every word checked per item, and
/// the first page found ends the read).
pub fn search_driver(counts: &[i64]) -> Option<usize> {
    counts
        .iter()
        .enumerate()
        .min_by_key(|(_, n)| **n)
        .filter(|(_, n)| **n < SEARCH_DRIVER_CAP)
        .map(|(i, _)| i)
}

/// The back office's catalog reads.
pub trait CatalogEditStore {
    /// Items (every-store rows, withdrawn ones included) whose words start
    /// with each word of `query` (empty: every item), by item id, `limit`
    /// of them after the first `offset`.
    fn catalog_search(&self, query: &str, offset: usize, limit: usize) -> Result<Vec<CatalogHit>>;
    /// One item's rows (None: never loaded).
    fn catalog_item(&self, item_id: &str) -> Result<Option<CatalogItemRows>>;
    /// The stored rows of `keys` (store '' = every store, item id); absent
    /// keys were never loaded.
    fn catalog_current(&self, keys: &[(String, String)]) -> Result<CurrentRows>;
    /// The newest catalog version (0: none).
    fn catalog_version(&self) -> Result<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_accents_and_separators() {
        assert_eq!(
            words("Crème brûlée, 4×100g"),
            ["creme", "brulee", "4", "100g"]
        );
        assert_eq!(words("ŒUF-bio"), ["oeuf", "bio"]);
        assert!(words(" ,;").is_empty());
    }

    #[test]
    fn ranges_are_prefixes() {
        let r = query_ranges("Pain Com");
        assert_eq!(r[0], (b"pain".to_vec(), b"paio".to_vec()));
        assert_eq!(r[1], (b"com".to_vec(), b"con".to_vec()));
        assert!(query_ranges("").is_empty());
        assert_eq!(query_ranges("a b c d e f").len(), MAX_QUERY_WORDS);
    }
}

//! The daemon's side of the till's local catalog (`catalog.db` beside the
//! journal): head office's deltas, as they come off the wire, applied to the
//! store. The file, its schema and its SQL belong to `till-catalog`, which
//! the counter reads it with; nothing here touches SQLite.

use std::path::Path;
use sync_proto::CatalogDelta;
use till_catalog::CatalogStore;
use till_core::Item;

/// Catalog storage failed.
pub use till_catalog::CatalogStoreError as CatalogError;

/// The local catalog file, as the daemon fills it.
pub struct LocalCatalog {
    store: CatalogStore,
}

impl LocalCatalog {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<LocalCatalog, CatalogError> {
        Ok(LocalCatalog {
            store: CatalogStore::open(path)?,
        })
    }

    /// The head office catalog version applied (0: none yet).
    pub fn version(&self) -> Result<u64, CatalogError> {
        self.store.version()
    }

    /// Applies a delta in one transaction (upserts, withdrawals, head
    /// office's stock lines and the version together); returns (old version, new version).
    pub fn apply(&mut self, delta: &CatalogDelta) -> Result<(u64, u64), CatalogError> {
        self.store.apply_with_stock(
            delta.items.iter().map(|e| (&e.item, e.version)),
            delta.removed.iter().map(|r| r.item_id.as_str()),
            delta.stock.iter().map(|s| till_catalog::StockLine {
                op_id: &s.op_id,
                item_id: &s.item_id,
                delta: s.delta,
                reason: &s.reason,
                version: s.version,
            }),
            delta.catalog_version,
        )
    }

    /// Head office's ruleset version held (0: none).
    pub fn ruleset_version(&self) -> Result<u64, CatalogError> {
        Ok(self.store.ruleset()?.map(|(v, _)| v).unwrap_or(0))
    }

    /// Stores a newer ruleset (an older one changes nothing); true if stored.
    pub fn set_ruleset(
        &mut self,
        version: u64,
        rules: &till_core::ruleset::Ruleset,
    ) -> Result<bool, CatalogError> {
        self.store.set_ruleset(version, rules)
    }

    /// The customers version held (0: none).
    pub fn customers_version(&self) -> Result<u64, CatalogError> {
        Ok(self.store.customers_state()?.version)
    }

    /// Applies head office's customers delta in one transaction (an older
    /// answer than held changes nothing); true if applied.
    pub fn apply_customers(
        &mut self,
        d: &sync_proto::CustomersDelta,
    ) -> Result<bool, CatalogError> {
        let changed: Vec<(u64, till_core::customer::TillCustomer)> = d
            .customers
            .iter()
            .map(|e| {
                (
                    e.version,
                    till_core::customer::TillCustomer {
                        number: e.number.clone(),
                        name: e.name.clone(),
                        kind: e.kind,
                        group: e.group.clone(),
                        status: e.status,
                        available_credit: e.available_credit,
                        loyalty_card: e.loyalty_card.clone(),
                    },
                )
            })
            .collect();
        let state = till_catalog::CustomersState {
            version: d.customers_version,
            terminal_seq: d.terminal_seq,
        };
        self.store.apply_customers(state, &changed)
    }

    /// Every customer held (tests).
    pub fn customers(&self) -> Result<Vec<till_core::customer::TillCustomer>, CatalogError> {
        self.store.customers()
    }

    /// What head office's stock operations added to this store's levels,
    /// by item id.
    pub fn head_office_stock(&self) -> Result<Vec<(String, rust_decimal::Decimal)>, CatalogError> {
        self.store.head_office_stock()
    }

    /// Every article, by id (tests).
    pub fn items(&self) -> Result<Vec<Item>, CatalogError> {
        let mut items = self.store.load_items()?;
        items.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(items)
    }
}

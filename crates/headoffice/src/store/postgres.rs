//! The PostgreSQL backend (placeholder until it lands: refuses to connect).

use super::{
    Alert, CatalogRow, ClosingReceived, FeedEvent, IngestOutcome, Result, SalesRow, StockLevel,
    Store, StoreError, TerminalAuth, TerminalState,
};
use sync_proto::CatalogDelta;
use till_journal::StoredEvent;

/// Head office on PostgreSQL.
pub struct PgStore {}

impl PgStore {
    pub fn connect(_url: &str) -> Result<PgStore> {
        Err(StoreError::Invalid(
            "the PostgreSQL backend is not built yet".into(),
        ))
    }
}

impl Store for PgStore {
    fn migrate(&self) -> Result<()> {
        Ok(())
    }
    fn ping(&self) -> Result<()> {
        Ok(())
    }
    fn register_terminal(&self, _: &str, _: &str, _: &[u8; 32]) -> Result<()> {
        Err(StoreError::Invalid("unsupported".into()))
    }
    fn authenticate(&self, _: &[u8; 32]) -> Result<Option<TerminalAuth>> {
        Ok(None)
    }
    fn ingest(&self, _: &TerminalAuth, _: &[StoredEvent]) -> Result<IngestOutcome> {
        Err(StoreError::Invalid("unsupported".into()))
    }
    fn load_catalog(&self, _: &[CatalogRow]) -> Result<u64> {
        Err(StoreError::Invalid("unsupported".into()))
    }
    fn catalog_since(&self, _: &str, _: u64) -> Result<CatalogDelta> {
        Err(StoreError::Invalid("unsupported".into()))
    }
    fn terminals(&self) -> Result<Vec<TerminalState>> {
        Ok(vec![])
    }
    fn sales(&self, _: Option<&str>, _: Option<&str>, _: Option<&str>) -> Result<Vec<SalesRow>> {
        Ok(vec![])
    }
    fn stock(&self, _: Option<&str>) -> Result<Vec<StockLevel>> {
        Ok(vec![])
    }
    fn closings(&self, _: Option<&str>) -> Result<Vec<ClosingReceived>> {
        Ok(vec![])
    }
    fn alerts(&self) -> Result<Vec<Alert>> {
        Ok(vec![])
    }
    fn feed(&self, _: i64, _: usize) -> Result<Vec<FeedEvent>> {
        Ok(vec![])
    }
    fn event_counts(&self) -> Result<(u64, u64)> {
        Ok((0, 0))
    }
}

//! Low-stock alerts: raised once when a store's level of an item falls to or
//! below its threshold, cleared when it goes back above. Storage-free: the
//! backends read (item, level, threshold, open alert) after a batch's stock
//! upserts and write what [`low_stock_changes`] decides.

use rust_decimal::Decimal;

/// An item whose level a batch moved and that has a threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStockRow {
    pub item_id: String,
    /// The level after the batch.
    pub level: Decimal,
    pub threshold: Decimal,
    /// The alert raised at the last crossing, while it still holds.
    pub open_alert: Option<i64>,
}

/// What to write for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LowStock {
    /// Crossed down: a new alert (code `low_stock:<item>`).
    Raise { item_id: String, detail: String },
    /// Back above: the open alert is cleared.
    Clear { item_id: String, alert_id: i64 },
}

/// One change per crossing: nothing while an item stays low (or stays above).
pub fn low_stock_changes(store_id: &str, rows: Vec<LowStockRow>) -> Vec<LowStock> {
    rows.into_iter()
        .filter_map(|r| match (r.level <= r.threshold, r.open_alert) {
            (true, None) => Some(LowStock::Raise {
                detail: format!(
                    "store {store_id}: item {} is at {}, at or below its threshold {}",
                    r.item_id, r.level, r.threshold
                ),
                item_id: r.item_id,
            }),
            (false, Some(alert_id)) => Some(LowStock::Clear {
                item_id: r.item_id,
                alert_id,
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(level: i64, open: Option<i64>) -> LowStockRow {
        LowStockRow {
            item_id: "A".into(),
            level: Decimal::from(level),
            threshold: Decimal::from(5),
            open_alert: open,
        }
    }

    #[test]
    fn once_per_crossing() {
        assert!(matches!(
            low_stock_changes("S1", vec![row(5, None)]).as_slice(),
            [LowStock::Raise { .. }]
        ));
        assert!(low_stock_changes("S1", vec![row(3, Some(9))]).is_empty());
        assert!(low_stock_changes("S1", vec![row(6, None)]).is_empty());
        assert_eq!(
            low_stock_changes("S1", vec![row(6, Some(9))]),
            vec![LowStock::Clear {
                item_id: "A".into(),
                alert_id: 9
            }]
        );
    }
}

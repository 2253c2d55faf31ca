//! Reading a customers file (`headoffice customers import FILE.csv`): CSV
//! (RFC 4180, UTF-8, `.` as the decimal point) with a header row naming
//! the columns in any order. `number`, `kind` (`b2b` or `b2c`) and `name`
//! are required; optional are `siren`, `siret`, `vat_number`, `address`,
//! `email`, `phone`, `terms` (`cash`, `net30`, `eom45`, `netN`; default
//! cash), `credit_limit` (default 0), `group`, `status` (`open`,
//! `on_hold`, `in_collection`; default open), `loyalty_card`. Each row is
//! checked in full ([`Customer::checked`]); an error names the line and
//! the column, and nothing of the file is stored.

use rust_decimal::Decimal;
use std::collections::HashMap;
use till_catalog::file::{csv_records, LoadError};
use till_core::customer::{AccountStatus, Customer, CustomerKind, PaymentTerms};

/// The columns a customers file may have, in their usual order.
pub const COLUMNS: [&str; 14] = [
    "number",
    "kind",
    "name",
    "siren",
    "siret",
    "vat_number",
    "address",
    "email",
    "phone",
    "terms",
    "credit_limit",
    "group",
    "status",
    "loyalty_card",
];

/// Rows a file may hold at most.
pub const MAX_ROWS: usize = 100_000;

/// Parses and checks a customers CSV file.
pub fn parse_csv(text: &str) -> Result<Vec<Customer>, LoadError> {
    let mut records = csv_records(text)?.into_iter();
    let Some((_, header)) = records.next() else {
        return Ok(Vec::new());
    };
    let mut col: HashMap<String, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let name = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        if !COLUMNS.contains(&name.as_str()) {
            return Err(LoadError::Csv {
                line: 1,
                column: Some((i + 1, name.clone())),
                detail: format!("unknown column; the columns are {}", COLUMNS.join(",")),
            });
        }
        col.insert(name, i);
    }
    for need in ["number", "kind", "name"] {
        if !col.contains_key(need) {
            return Err(LoadError::Csv {
                line: 1,
                column: None,
                detail: format!(
                    "missing column {need:?}: the first line must be the header row \
                     (at least number,kind,name)"
                ),
            });
        }
    }
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, rec) in records {
        if out.len() >= MAX_ROWS {
            return Err(LoadError::Csv {
                line,
                column: None,
                detail: format!("more than {MAX_ROWS} customers: split the file"),
            });
        }
        let at = |name: &str| col.get(name).map(|&i| (i + 1, name.to_string()));
        let err = |name: &str, detail: String| LoadError::Csv {
            line,
            column: at(name),
            detail,
        };
        if rec.len() != header.len() {
            return Err(LoadError::Csv {
                line,
                column: None,
                detail: format!("{} cells, the header has {}", rec.len(), header.len()),
            });
        }
        let get = |name: &str| -> Option<String> {
            col.get(name)
                .and_then(|&i| rec.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let kind = get("kind").unwrap_or_default();
        let kind = CustomerKind::parse(&kind)
            .ok_or_else(|| err("kind", format!("{kind:?}: b2b or b2c")))?;
        let terms = match get("terms") {
            None => PaymentTerms::Cash,
            Some(t) => PaymentTerms::parse(&t)
                .ok_or_else(|| err("terms", format!("{t:?}: cash, net30, eom45 or netN")))?,
        };
        let credit_limit = match get("credit_limit") {
            None => Decimal::ZERO,
            Some(t) => t
                .parse::<Decimal>()
                .map_err(|_| err("credit_limit", format!("{t:?} is not an amount")))?,
        };
        let status = match get("status") {
            None => AccountStatus::Open,
            Some(t) => AccountStatus::parse(&t)
                .ok_or_else(|| err("status", format!("{t:?}: open, on_hold or in_collection")))?,
        };
        let c = Customer {
            number: get("number").unwrap_or_default(),
            kind,
            name: get("name").unwrap_or_default(),
            siren: get("siren"),
            siret: get("siret"),
            vat_number: get("vat_number"),
            address: get("address"),
            email: get("email"),
            phone: get("phone"),
            terms,
            credit_limit,
            group: get("group"),
            status,
            loyalty_card: get("loyalty_card"),
        }
        .checked()
        .map_err(|e| err(e.field, e.why))?;
        if let Some(first) = seen.insert(c.number.clone(), line) {
            return Err(err(
                "number",
                format!("{} is also on line {first}", c.number),
            ));
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_named_errors() {
        let ok = parse_csv(
            "number,kind,name,vat_number,terms,credit_limit,group\n\
             C1,b2b,\"Dupré, fils\",FR03552081317,net30,1500.50,pro\n\
             C2,b2c,Jeanne Martin,,,,\n",
        );
        let rows = ok.unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name, "Dupré, fils");
        assert_eq!(rows[0].credit_limit, Decimal::new(150050, 2));
        assert_eq!(rows[0].siren.as_deref(), None);
        assert_eq!(rows[1].terms, PaymentTerms::Cash);
        let e = |t: &str| {
            parse_csv(t)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            e("number,kind,name,terms\nC1,b2b,A,net90\n"),
            "CSV line 2, column 4 (terms): 90 days is beyond the legal ceiling of 60 days \
             from the invoice (or 45 days end of month), Code de commerce L441-10"
        );
        assert!(
            e("number,kind,name,siret\nC1,b2b,A,ok\nC2,b2b,B,73282932000075\n")
                .starts_with("CSV line 2, column 4 (siret)")
        );
        assert!(e("number,kind,name\nC1,b2b,A\nC1,b2c,B\n")
            .starts_with("CSV line 3, column 1 (number): C1 is also on line 2"));
        assert!(e("number,kind\nC1,b2b\n").contains("missing column \"name\""));
        assert!(e("number,kind,name,colour\n").starts_with("CSV line 1, column 4 (colour)"));
    }
}

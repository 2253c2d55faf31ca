//! `headoffice customers add|list|show|import`: the customers, on the
//! database file or server named by `--db`, like `headoffice user`
//! (whoever may open the database may use it).

use crate::store::customers::{CustomerRow, Write};
use crate::store::Store;
use anyhow::{bail, Context, Result};
use rust_decimal::Decimal;
use std::path::PathBuf;
use till_core::customer::{AccountStatus, Customer, CustomerKind, PaymentTerms};

/// The subcommands.
#[derive(clap::Subcommand)]
pub enum CustomersCmd {
    /// Add a customer (B2B: --siren/--siret/--vat are checked, keys included).
    Add(Box<AddArgs>),
    /// List customers with their balance and available credit.
    List {
        /// Only those whose number starts with, name contains, or loyalty
        /// card is this.
        #[arg(long, default_value = "")]
        search: String,
        #[arg(long)]
        json: bool,
    },
    /// Show one customer.
    Show {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Import a CSV file with a header row (columns: number,kind,name,siren,
    /// siret,vat_number,address,email,phone,terms,credit_limit,group,status,
    /// loyalty_card; number, kind and name required). New numbers are
    /// added, known ones replaced. An error names the line and the column,
    /// and nothing is stored.
    Import { file: PathBuf },
}

/// `customers add`.
#[derive(clap::Args)]
pub struct AddArgs {
    /// The customer number (letters, digits, - or _; at most 20).
    #[arg(long)]
    number: String,
    /// b2b (a company) or b2c (a person).
    #[arg(long, value_parser = ["b2b", "b2c"])]
    kind: String,
    /// Company name, or the person's name.
    #[arg(long)]
    name: String,
    #[arg(long)]
    siren: Option<String>,
    #[arg(long)]
    siret: Option<String>,
    /// Intra-EU VAT number (FR: the key is checked against the SIREN).
    #[arg(long)]
    vat: Option<String>,
    /// Billing address (lines separated by "\n" in the value are kept).
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    /// cash, net30, eom45 or netN (N up to 60: the legal ceiling).
    #[arg(long, default_value = "cash")]
    terms: String,
    /// The most the customer may owe on account, in euros.
    #[arg(long, default_value = "0")]
    credit_limit: Decimal,
    /// The customer group (its purchase rules apply at the till).
    #[arg(long)]
    group: Option<String>,
    /// open, on_hold or in_collection.
    #[arg(long, default_value = "open")]
    status: String,
    /// A loyalty card's barcode.
    #[arg(long)]
    loyalty_card: Option<String>,
}

impl AddArgs {
    fn customer(&self) -> Result<Customer> {
        Ok(Customer {
            number: self.number.clone(),
            kind: CustomerKind::parse(&self.kind).context("--kind: b2b or b2c")?,
            name: self.name.clone(),
            siren: self.siren.clone(),
            siret: self.siret.clone(),
            vat_number: self.vat.clone(),
            address: self.address.as_ref().map(|a| a.replace("\\n", "\n")),
            email: self.email.clone(),
            phone: self.phone.clone(),
            terms: PaymentTerms::parse(&self.terms)
                .context("--terms: cash, net30, eom45 or netN")?,
            credit_limit: self.credit_limit,
            group: self.group.clone(),
            status: AccountStatus::parse(&self.status)
                .context("--status: open, on_hold or in_collection")?,
            loyalty_card: self.loyalty_card.clone(),
        })
    }
}

fn line(r: &CustomerRow) -> String {
    format!(
        "{:<12} {:<3} {:<32} {:<13} limit {:>12} owed {:>12} available {:>12}",
        r.customer.number,
        r.customer.kind.code(),
        r.customer.name.chars().take(32).collect::<String>(),
        r.customer.status.code(),
        r.customer.credit_limit,
        r.balance,
        r.available
    )
}

/// Runs a `customers` subcommand on `s`.
pub fn run(s: &dyn Store, cmd: &CustomersCmd) -> Result<()> {
    match cmd {
        CustomersCmd::Add(a) => {
            let c = a.customer()?.checked().map_err(|e| {
                let opt = match e.field {
                    "vat_number" => "vat".to_string(),
                    f => f.replace('_', "-"),
                };
                anyhow::anyhow!("--{opt}: {}", e.why)
            })?;
            let v = s.customers_write(std::slice::from_ref(&c), Write::Add)?;
            eprintln!("customer {} added (customers version {v})", c.number);
            Ok(())
        }
        CustomersCmd::List { search, json } => {
            let rows = s.customers_find(search, crate::store::customers::MAX_FOUND)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no customers (headoffice customers add --help)");
            } else {
                for r in &rows {
                    println!("{}", line(r));
                }
            }
            Ok(())
        }
        CustomersCmd::Show { number, json } => {
            let Some(r) = s.customer(number)? else {
                bail!("no customer {number}");
            };
            if *json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            let c = &r.customer;
            let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
            println!("number        {}", c.number);
            println!("kind          {}", c.kind.code());
            println!("name          {}", c.name);
            println!("siren         {}", opt(&c.siren));
            println!("siret         {}", opt(&c.siret));
            println!("vat_number    {}", opt(&c.vat_number));
            println!("address       {}", opt(&c.address).replace('\n', ", "));
            println!("email         {}", opt(&c.email));
            println!("phone         {}", opt(&c.phone));
            println!("terms         {}", c.terms.code());
            println!("credit_limit  {}", c.credit_limit);
            println!("balance       {}", r.balance);
            println!("available     {}", r.available);
            println!("account_sales {}", r.account_sales);
            println!("group         {}", opt(&c.group));
            println!("status        {}", c.status.code());
            println!("loyalty_card  {}", opt(&c.loyalty_card));
            println!("version       {}", r.version);
            Ok(())
        }
        CustomersCmd::Import { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let rows = crate::customers_file::parse_csv(&text)
                .with_context(|| format!("{}: nothing imported", file.display()))?;
            let v = s
                .customers_write(&rows, Write::Upsert)
                .with_context(|| format!("{}: nothing imported", file.display()))?;
            eprintln!(
                "{} customers imported from {} (customers version {v})",
                rows.len(),
                file.display()
            );
            Ok(())
        }
    }
}

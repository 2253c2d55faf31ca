//! Reading a `[devices.*]` table key by key, with French messages naming
//! the section and the key: for the sections added with the scale and the
//! customer display, whose mistakes a shop owner reads at start-up.
//! Every key taken is checked; what remains at [`Table::finish`] is
//! refused as unknown.

/// One section being read.
pub(crate) struct Table {
    section: &'static str,
    keys: toml::Table,
}

impl Table {
    /// The section's table, or a message if it is not a table.
    pub(crate) fn new(section: &'static str, value: toml::Value) -> Result<Self, String> {
        match value {
            toml::Value::Table(keys) => Ok(Self { section, keys }),
            other => Err(format!(
                "[{section}] doit être une table (des lignes clé = valeur), pas {}",
                other.type_str()
            )),
        }
    }

    /// A message about `key`.
    pub(crate) fn bad(&self, key: &str, why: impl std::fmt::Display) -> String {
        format!("[{}] {key} : {why}", self.section)
    }

    /// A string key, if present.
    pub(crate) fn string(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.keys.remove(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.bad(
                key,
                format!(
                    "attendu un texte entre guillemets, trouvé {}",
                    other.type_str()
                ),
            )),
        }
    }

    /// A whole number in `min..=max`, if present; `unit` follows the range
    /// in the message.
    pub(crate) fn number(
        &mut self,
        key: &str,
        min: u64,
        max: u64,
        unit: &str,
    ) -> Result<Option<u64>, String> {
        let value = match self.keys.remove(key) {
            None => return Ok(None),
            Some(v) => v,
        };
        let n = match &value {
            toml::Value::Integer(i) => u64::try_from(*i).ok().filter(|n| (min..=max).contains(n)),
            _ => None,
        };
        // Debug keeps a float's short form (1e300, not 301 digits).
        let shown = match &value {
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(x) => format!("{x:?}"),
            other => other.to_string(),
        };
        n.map(Some).ok_or_else(|| {
            self.bad(
                key,
                format!("{shown} est hors limites : un nombre entier de {min} à {max}{unit}"),
            )
        })
    }

    /// Refuse whatever key was not taken.
    pub(crate) fn finish(self, known: &[&str]) -> Result<(), String> {
        match self.keys.keys().next() {
            None => Ok(()),
            Some(k) => Err(format!(
                "[{}] {k} : clé inconnue (les clés possibles : {})",
                self.section,
                known.join(", ")
            )),
        }
    }
}

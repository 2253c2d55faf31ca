//! The archive's CSV dialect (RFC 4180, UTF-8, lines ending in LF): a field
//! holding a comma or a double quote is quoted, its quotes doubled. No field
//! ever holds a line break (the writer refuses one: JSON payloads escape
//! theirs), so every record is one line and a reader may split on LF before
//! parsing, which is what lets the verifier check a file in parallel chunks.

/// Why a line is not a CSV record of the archive's dialect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("a field holds a line break")]
    LineBreak,
    #[error("a quoted field is not closed")]
    Unclosed,
    #[error("a quote in the middle of an unquoted field, or text after a closing quote")]
    StrayQuote,
    #[error("not UTF-8")]
    NotUtf8,
}

/// Appends `field` to `out`, quoted if it holds a comma or a quote.
pub fn push_field(out: &mut Vec<u8>, field: &[u8]) -> Result<(), CsvError> {
    if field.iter().any(|&b| b == b'\n' || b == b'\r') {
        return Err(CsvError::LineBreak);
    }
    if field.iter().any(|&b| b == b',' || b == b'"') {
        out.push(b'"');
        for &b in field {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
    Ok(())
}

/// Appends one record (fields separated by commas, then LF).
pub fn push_row<T: AsRef<[u8]>>(out: &mut Vec<u8>, fields: &[T]) -> Result<(), CsvError> {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_field(out, f.as_ref())?;
    }
    out.push(b'\n');
    Ok(())
}

/// One parsed record: the unquoted fields laid end to end in one buffer,
/// reused from line to line so that parsing allocates nothing per row.
#[derive(Debug, Default)]
pub struct Record {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl Record {
    /// Parses `line` (without its LF) into this record.
    pub fn parse(&mut self, line: &[u8]) -> Result<(), CsvError> {
        self.buf.clear();
        self.ends.clear();
        let mut i = 0;
        loop {
            if line.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    let Some(rel) = line[i..].iter().position(|&b| b == b'"') else {
                        return Err(CsvError::Unclosed);
                    };
                    self.buf.extend_from_slice(&line[i..i + rel]);
                    i += rel + 1;
                    if line.get(i) == Some(&b'"') {
                        self.buf.push(b'"');
                        i += 1;
                    } else {
                        break;
                    }
                }
                self.ends.push(self.buf.len());
                match line.get(i) {
                    None => break,
                    Some(b',') => i += 1,
                    Some(_) => return Err(CsvError::StrayQuote),
                }
            } else {
                let rest = &line[i..];
                let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
                let field = &rest[..end];
                if field.contains(&b'"') {
                    return Err(CsvError::StrayQuote);
                }
                if field.contains(&b'\r') {
                    return Err(CsvError::LineBreak);
                }
                self.buf.extend_from_slice(field);
                self.ends.push(self.buf.len());
                if end == rest.len() {
                    break;
                }
                i += end + 1;
            }
        }
        Ok(())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the record has no field (never after a successful parse).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`'s bytes.
    pub fn bytes(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.buf.get(start..end)
    }

    /// Field `i` as text.
    pub fn text(&self, i: usize) -> Result<&str, CsvError> {
        std::str::from_utf8(self.bytes(i).unwrap_or_default()).map_err(|_| CsvError::NotUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_quoting() {
        let fields: [&[u8]; 5] = [b"12", br#"{"a":"x,y","b":"\"q\""}"#, b"", b"plain", b"a,b"];
        let mut out = Vec::new();
        push_row(&mut out, &fields).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "12,\"{\"\"a\"\":\"\"x,y\"\",\"\"b\"\":\"\"\\\"\"q\\\"\"\"\"}\",,plain,\"a,b\"\n"
        );
        let mut r = Record::default();
        r.parse(&out[..out.len() - 1]).unwrap();
        assert_eq!(r.len(), 5);
        for (i, f) in fields.iter().enumerate() {
            assert_eq!(r.bytes(i).unwrap(), *f);
        }
    }

    #[test]
    fn bad_lines_are_refused() {
        let mut r = Record::default();
        assert_eq!(r.parse(b"a,\"b"), Err(CsvError::Unclosed));
        assert_eq!(r.parse(b"a,b\"c"), Err(CsvError::StrayQuote));
        assert_eq!(r.parse(b"\"a\"x,b"), Err(CsvError::StrayQuote));
        assert_eq!(
            push_field(&mut Vec::new(), b"a\nb"),
            Err(CsvError::LineBreak)
        );
        r.parse(b"a,,").unwrap();
        assert_eq!(r.len(), 3);
    }
}

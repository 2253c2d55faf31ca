//! Caisse-AP messages: the bytes, with no I/O.
//!
//! A message is a run of fields `TAG(2) LENGTH(3 digits) VALUE(LENGTH)`,
//! ASCII, with no header, no terminator and no checksum; `CZ` (protocol
//! version) comes first, the others in any order. Tags and values as used by
//! akretion/caisse-ap-ip (caisse_ap_ip_client.py, caisse_ap_ip_server.py)
//! and OCA/l10n-france l10n_fr_pos_caisse_ap_ip/models/pos_payment_method.py
//! (Caisse-AP 3.x, Association du Paiement):
//!
//! | tag | request | answer |
//! |-----|---------|--------|
//! | CZ | version, "0300" | echoed |
//! | CJ | Concert protocol id, 12 chars (required, not interpreted) | echoed |
//! | CA | till number, 2 digits | echoed |
//! | CB | amount in minor units, 2 to 12 digits | amount |
//! | CD | action: 0 debit, 1 credit (refund) | echoed |
//! | CE | currency, ISO 4217 numeric | echoed |
//! | BA | 0: answer at the end of the transaction | |
//! | CF | private data, 1-99 chars (optional) | echoed, the terminal's own, or absent |
//! | AE | | 10 done, 01 not done (11: request taken, with BA=1) |
//! | AF | | why not done (04 refused, 11 cancelled...) |
//! | AA | | card number, masked by the terminal ("######") |
//! | AC | | authorisation number |
//! | CC | | card application, 3 chars ("001" CB, "00B" CB contactless...) |
//! | CI | | read mode: 1 contact, 2 contactless, 3 swipe, 4 manual |

use super::link::{mask_all, returned_reference, scheme_for_code};
use super::{mask_pan, PaymentAnswer, PaymentKind};

/// Protocol version sent in CZ.
pub const VERSION: &str = "0300";
/// The Concert protocol id the reference implementations send in CJ.
pub const PROTOCOL_ID: &str = "012345678901";
/// Largest amount CB holds (12 digits), in cents.
pub const MAX_AMOUNT: u64 = 999_999_999_999;
/// Longest private field (CF).
pub const PRIVATE_MAX: usize = 99;
/// Bigger than any real message: a peer that never stops is cut off here.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// One field.
pub type Field = (String, String);

/// Encode fields in the order given. Refuses what the format cannot carry.
pub fn encode(fields: &[Field]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (tag, value) in fields {
        if tag.len() != 2 || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!("tag {tag:?} is not two letters or digits"));
        }
        if value.is_empty() || value.len() > 999 {
            return Err(format!("{tag}: value must be 1 to 999 characters"));
        }
        if !value.bytes().all(|b| (0x20..0x7F).contains(&b)) {
            return Err(format!("{tag}: value must be printable ASCII"));
        }
        out.extend_from_slice(format!("{tag}{:03}{value}", value.len()).as_bytes());
    }
    Ok(out)
}

/// Where a buffer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Nothing yet.
    Empty,
    /// Ends inside a field: more bytes are due.
    Partial,
    /// A whole number of fields. (More may still follow: the format has no
    /// end marker.)
    Complete(Vec<Field>),
    /// Cannot be Caisse-AP, whatever follows.
    Malformed(String),
}

/// Parse a buffer that may end anywhere.
pub fn parse(buf: &[u8]) -> Parsed {
    if buf.is_empty() {
        return Parsed::Empty;
    }
    if buf.len() > MAX_MESSAGE {
        return Parsed::Malformed(format!("message over {MAX_MESSAGE} bytes"));
    }
    let mut fields = Vec::new();
    let mut i = 0;
    while i < buf.len() {
        let head = &buf[i..buf.len().min(i + 5)];
        let tag_ok = head.iter().take(2).all(u8::is_ascii_alphanumeric);
        let len_ok = head.iter().skip(2).all(u8::is_ascii_digit);
        if !tag_ok || !len_ok {
            return Parsed::Malformed(format!(
                "field at byte {i} does not start with a tag and a 3-digit length"
            ));
        }
        if head.len() < 5 {
            return Parsed::Partial;
        }
        let len = head[2..5]
            .iter()
            .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
        let Some(value) = buf.get(i + 5..i + 5 + len) else {
            return Parsed::Partial;
        };
        if !value.iter().all(|b| (0x20..0x7F).contains(b)) {
            return Parsed::Malformed(format!("field at byte {i}: value is not printable ASCII"));
        }
        fields.push((
            String::from_utf8_lossy(&head[..2]).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
        i += 5 + len;
    }
    Parsed::Complete(fields)
}

/// The value of `tag`, if present.
pub fn get<'a>(fields: &'a [Field], tag: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(t, _)| t == tag)
        .map(|(_, v)| v.as_str())
}

/// A payment request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaisseApRequest {
    /// Till number, 0..=99.
    pub pos_number: u8,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Debit or credit.
    pub kind: PaymentKind,
    /// ISO 4217 numeric.
    pub currency: u16,
    /// Private data echoed in the answer; empty: not sent.
    pub private: String,
}

impl CaisseApRequest {
    /// The fields, CZ first.
    pub fn fields(&self) -> Vec<Field> {
        let mut f: Vec<Field> = vec![
            ("CZ".into(), VERSION.into()),
            ("CJ".into(), PROTOCOL_ID.into()),
            ("CA".into(), format!("{:02}", self.pos_number % 100)),
            ("CB".into(), format!("{:02}", self.amount_cents)),
            ("CD".into(), kind_code(self.kind).into()),
            ("CE".into(), format!("{:03}", self.currency % 1000)),
            ("BA".into(), "0".into()),
        ];
        if !self.private.is_empty() {
            f.push(("CF".into(), self.private.clone()));
        }
        f
    }

    /// The bytes.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        encode(&self.fields())
    }

    /// Read a request (what the terminal, or the simulator, does).
    pub fn from_fields(f: &[Field]) -> Result<Self, String> {
        for tag in ["CZ", "CJ", "CA", "CB", "CD", "CE"] {
            if get(f, tag).is_none() {
                return Err(format!("request lacks {tag}"));
            }
        }
        Ok(Self {
            pos_number: number(f, "CA")? as u8,
            amount_cents: number(f, "CB")?,
            kind: match get(f, "CD") {
                Some("0") => PaymentKind::Debit,
                Some("1") => PaymentKind::Refund,
                other => return Err(format!("action CD {other:?} is not 0 or 1")),
            },
            currency: number(f, "CE")? as u16,
            private: get(f, "CF").unwrap_or("").to_string(),
        })
    }
}

fn kind_code(kind: PaymentKind) -> &'static str {
    match kind {
        PaymentKind::Debit => "0",
        PaymentKind::Refund => "1",
    }
}

fn number(f: &[Field], tag: &str) -> Result<u64, String> {
    let v = get(f, tag).ok_or_else(|| format!("{tag} missing"))?;
    if v.is_empty() || v.len() > 18 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{tag} {v:?} is not a number"));
    }
    v.parse()
        .map_err(|_| format!("{tag} {v:?} is not a number"))
}

/// Why a payment was not done, from AF. Labels translated from the table in
/// OCA/l10n-france l10n_fr_pos_caisse_ap_ip (`_fr_caisse_ap_ip_prepare_failure`).
pub fn reason_for(af: Option<&str>) -> String {
    match af {
        Some("02") => "the bank asks for a phone call (voice authorisation)",
        Some("03") => "forcing required",
        Some("04") => "declined by the bank",
        Some("05") => "card forbidden",
        Some("06") => "abandoned",
        Some("07") => "not completed",
        Some("08") => "timed out waiting for the customer",
        Some("09") => "the terminal did not understand the request (format error)",
        Some("10") => "selection error",
        Some("11") => "cancelled at the terminal",
        Some("12") => "the terminal does not know this kind of operation",
        Some("13") => "currency not supported by the terminal",
        // Whatever the terminal put there, a card number is not kept.
        Some(other) => return format!("not done (reason code {})", mask_all(other)),
        None => "not done (no reason given)",
    }
    .to_string()
}

/// Turn answer fields into what the till keeps, checked against `req`.
/// `Err(detail)` when the answer is not a final outcome or not for `req`.
pub fn to_answer(f: &[Field], req: &CaisseApRequest) -> Result<PaymentAnswer, String> {
    let approved = match get(f, "AE") {
        Some("10") => true,
        Some("01") => false,
        other => return Err(format!("action status AE {other:?} is not a final outcome")),
    };
    let echoed = |tag: &str, want: &str| match get(f, tag) {
        Some(v) if v != want => Err(format!("{tag} is {v:?}, the request said {want:?}")),
        _ => Ok(()),
    };
    echoed("CA", &format!("{:02}", req.pos_number % 100))?;
    echoed("CD", kind_code(req.kind))?;
    echoed("CE", &format!("{:03}", req.currency % 1000))?;
    // CF is not checked: terminals put their own reference there or leave
    // it out (see `returned_reference`); it is kept when it differs.
    let amount_cents = match get(f, "CB") {
        Some(_) => number(f, "CB")?,
        None => req.amount_cents,
    };
    if approved && amount_cents != req.amount_cents {
        return Err(format!(
            "approved for {amount_cents} cents, {} were asked",
            req.amount_cents
        ));
    }
    let scheme = get(f, "CC")
        .and_then(|cc| cc.trim_start_matches('0').chars().next().or(Some('0')))
        .and_then(scheme_for_code)
        .map(str::to_string);
    let read_mode = get(f, "CI").and_then(|ci| match ci {
        "1" => Some("chip"),
        "2" => Some("contactless"),
        "3" => Some("swipe"),
        "4" => Some("manual"),
        _ => None,
    });
    Ok(PaymentAnswer {
        approved,
        amount_cents,
        masked_pan: get(f, "AA").map(mask_pan),
        // Free text from the terminal: masked like every other field.
        auth_code: get(f, "AC").map(mask_all),
        scheme,
        read_mode: read_mode.map(str::to_string),
        reason: (!approved).then(|| reason_for(get(f, "AF"))),
        reference: Some(req.private.clone()).filter(|r| !r.is_empty()),
        terminal_reference: returned_reference(&req.private, get(f, "CF")),
    })
}

/// Whether an answer names `req`'s till number, amount and currency, all
/// three present: enough to take it for `req` when CF does not say (a
/// terminal's own reference, a blank one), on a connection that does not
/// say either.
pub fn same_payment(f: &[Field], req: &CaisseApRequest) -> bool {
    get(f, "CA") == Some(format!("{:02}", req.pos_number % 100).as_str())
        && number(f, "CB").ok() == Some(req.amount_cents)
        && get(f, "CE") == Some(format!("{:03}", req.currency % 1000).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> CaisseApRequest {
        CaisseApRequest {
            pos_number: 1,
            amount_cents: 1250,
            kind: PaymentKind::Debit,
            currency: 978,
            private: "S42-1".into(),
        }
    }

    #[test]
    fn request_fields_are_tag_length_value_with_cz_first() {
        let bytes = req().encode().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "CZ0040300CJ012012345678901CA00201CB0041250CD0010CE003978BA0010CF005S42-1"
        );
        let Parsed::Complete(f) = parse(&bytes) else {
            panic!("not complete")
        };
        assert_eq!(CaisseApRequest::from_fields(&f).unwrap(), req());
        let small = CaisseApRequest {
            amount_cents: 5,
            ..req()
        };
        assert!(String::from_utf8(small.encode().unwrap())
            .unwrap()
            .contains("CB00205"));
        assert!(encode(&[("C".into(), "x".into())]).is_err());
        assert!(encode(&[("CA".into(), String::new())]).is_err());
    }

    #[test]
    fn every_split_point_is_partial_until_the_end() {
        let bytes = b"CZ0040300AE00210CB0041250";
        assert_eq!(parse(b""), Parsed::Empty);
        for cut in 1..bytes.len() {
            let p = parse(&bytes[..cut]);
            let boundary = [9, 16].contains(&cut);
            assert!(
                matches!(p, Parsed::Partial) || (boundary && matches!(p, Parsed::Complete(_))),
                "cut {cut}: {p:?}"
            );
        }
        assert!(matches!(parse(bytes), Parsed::Complete(f) if f.len() == 3));
        assert!(matches!(parse(b"CZ0x4"), Parsed::Malformed(_)));
        assert!(matches!(parse(b"C\x01"), Parsed::Malformed(_)));
        assert!(matches!(parse(b"AA002\x00\x01"), Parsed::Malformed(_)));
    }

    #[test]
    fn answers_map_to_what_the_till_keeps() {
        let ok = |extra: &[(&str, &str)]| {
            let mut f: Vec<Field> = req().fields();
            f.extend(extra.iter().map(|(t, v)| (t.to_string(), v.to_string())));
            f
        };
        let a = to_answer(
            &ok(&[
                ("AE", "10"),
                ("AA", "4970101234567890"),
                ("AC", "123456"),
                ("CC", "00B"),
                ("CI", "2"),
            ]),
            &req(),
        )
        .unwrap();
        assert!(a.approved);
        assert_eq!(a.masked_pan.as_deref(), Some("************7890"));
        assert_eq!(a.scheme.as_deref(), Some("CB"));
        assert_eq!(a.read_mode.as_deref(), Some("contactless"));
        assert_eq!(a.auth_code.as_deref(), Some("123456"));
        assert_eq!(a.reference.as_deref(), Some("S42-1"));
        let d = to_answer(&ok(&[("AE", "01"), ("AF", "04")]), &req()).unwrap();
        assert!(!d.approved);
        assert_eq!(d.reason.as_deref(), Some("declined by the bank"));
        let c = to_answer(&ok(&[("AE", "01"), ("AF", "11")]), &req()).unwrap();
        assert!(c.reason.unwrap().contains("cancelled"));
        assert!(to_answer(&ok(&[("AE", "11")]), &req()).is_err());
        // Another CF, or none: taken, the terminal's reference kept.
        let mut other = ok(&[("AE", "10")]);
        other.retain(|(t, _)| t != "CF");
        let a = to_answer(&other, &req()).unwrap();
        assert_eq!(a.reference.as_deref(), Some("S42-1"));
        assert_eq!(a.terminal_reference.as_deref(), Some(""));
        assert!(same_payment(&other, &req()));
        other.push(("CF".into(), "1010000000".into()));
        let a = to_answer(&other, &req()).unwrap();
        assert_eq!(a.terminal_reference.as_deref(), Some("1010000000"));
        assert_eq!(
            to_answer(&ok(&[("AE", "10")]), &req())
                .unwrap()
                .terminal_reference,
            None
        );
        let mut elsewhere = other.clone();
        elsewhere.retain(|(t, _)| t != "CA");
        assert!(!same_payment(&elsewhere, &req()));
    }
}

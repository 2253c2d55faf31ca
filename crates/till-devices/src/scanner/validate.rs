//! From a frame to a checked code, through `till_core::barcode`.

use till_core::barcode::{self, Barcode, Gs1Reading};

use super::{Frame, ScanError};

/// What a frame turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Code {
    /// EAN-13, EAN-8 or UPC-A with a verified check digit.
    Retail(Barcode),
    /// GS1 element string (GS1-128, DataBar, GS1 DataMatrix/QR).
    Gs1(Gs1Reading),
    /// Any other symbology (Code 128, Code 39, QR...): accepted as text, no
    /// check digit to verify; the till decides what it means.
    Other {
        /// The AIM identifier, or "unknown".
        symbology: String,
        /// The text.
        text: String,
    },
}

impl Code {
    /// Short symbology name for display.
    pub fn symbology(&self) -> String {
        match self {
            Code::Retail(b) => b.symbology.as_str().to_string(),
            Code::Gs1(_) => "gs1".into(),
            Code::Other { symbology, .. } => symbology.clone(),
        }
    }
}

/// A validated scan, with the raw bytes kept for the technician.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Scan {
    /// Bytes as received.
    pub raw: Vec<u8>,
    /// AIM identifier, if any.
    pub aim: Option<String>,
    /// The code.
    pub code: Code,
    /// Accepted, but something a technician should fix (e.g. an AIM
    /// identifier that disagrees with the code it announces).
    pub warnings: Vec<String>,
}

/// AIM identifiers whose data is a GS1 element string.
const GS1_AIMS: [&str; 4] = ["]C1", "]e0", "]d2", "]Q3"];
/// AIM identifiers of EAN/UPC (]E0 EAN-13/UPC-A, ]E4 EAN-8; ]E1-]E3 add-ons).
fn is_ean_aim(aim: &str) -> bool {
    aim.starts_with("]E")
}

/// Validate one frame. The only entry point from scanner bytes to the
/// domain's barcode rules.
pub fn validate(frame: Frame) -> Result<Scan, ScanError> {
    let Frame { raw, aim, data } = frame;
    let gs1 = match aim.as_deref() {
        Some(a) => GS1_AIMS.contains(&a),
        // Without an identifier, a leading FNC1 (GS) or an embedded GS is
        // the only sign of GS1 data.
        None => data.contains('\u{1D}'),
    };
    let code = if gs1 {
        let reading = barcode::parse_gs1(&data).map_err(|source| ScanError::Gs1 {
            data: data.clone(),
            source,
            raw: raw.clone(),
        })?;
        Code::Gs1(reading)
    } else if aim.as_deref().is_some_and(is_ean_aim)
        || (aim.is_none()
            && data.bytes().all(|b| b.is_ascii_digit())
            && matches!(data.len(), 8 | 12 | 13))
    {
        let b = barcode::parse_retail(&data).map_err(|source| ScanError::Invalid {
            data: data.clone(),
            source,
            raw: raw.clone(),
        })?;
        Code::Retail(b)
    } else {
        Code::Other {
            symbology: aim.clone().unwrap_or_else(|| "unknown".into()),
            text: data,
        }
    };
    let warnings = match (&code, aim.as_deref()) {
        (Code::Retail(b), Some(a)) => aim_mismatch(a, b).into_iter().collect(),
        _ => Vec::new(),
    };
    Ok(Scan {
        raw,
        aim,
        code,
        warnings,
    })
}

/// An AIM identifier that announces another symbology than the digits are.
/// The code is still accepted (its check digit is what matters for the
/// sale), but a scanner misconfigured this way will also mislabel codes the
/// till cannot check, so the technician is told.
fn aim_mismatch(aim: &str, b: &Barcode) -> Option<String> {
    use barcode::Symbology as S;
    let n = b.digits.len();
    match (aim, b.symbology) {
        ("]E0", S::Ean8) => Some(format!(
            "AIM {aim} announces EAN-13/UPC but the {n}-digit body is EAN-8, which is ]E4: check the scanner's AIM settings (or it is a UPC-E)"
        )),
        ("]E4", S::Ean13 | S::UpcA) => Some(format!(
            "AIM {aim} announces EAN-8 but the body has {n} digits ({}), which is ]E0: check the scanner's AIM settings",
            b.symbology.as_str()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(aim: Option<&str>, data: &str) -> Frame {
        Frame {
            raw: data.as_bytes().to_vec(),
            aim: aim.map(String::from),
            data: data.into(),
        }
    }

    #[test]
    fn retail_codes_are_checked() {
        let s = validate(frame(None, "4006381333931")).unwrap();
        assert!(matches!(s.code, Code::Retail(ref b) if b.symbology == barcode::Symbology::Ean13));
        let s = validate(frame(Some("]E4"), "96385074")).unwrap();
        assert_eq!(s.code.symbology(), "ean8");
        assert!(matches!(
            validate(frame(None, "4006381333932")),
            Err(ScanError::Invalid { .. })
        ));
        assert!(matches!(
            validate(frame(Some("]E0"), "40063")),
            Err(ScanError::Invalid { .. })
        ));
    }

    #[test]
    fn aim_that_disagrees_with_the_body_is_a_warning() {
        let s = validate(frame(Some("]E0"), "96385074")).unwrap();
        assert_eq!(s.code.symbology(), "ean8");
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("]E4"), "{:?}", s.warnings);
        let s = validate(frame(Some("]E4"), "4006381333931")).unwrap();
        assert!(s.warnings[0].contains("]E0"), "{:?}", s.warnings);
        assert!(validate(frame(Some("]E4"), "96385074"))
            .unwrap()
            .warnings
            .is_empty());
        assert!(validate(frame(Some("]E0"), "4006381333931"))
            .unwrap()
            .warnings
            .is_empty());
        assert!(validate(frame(None, "96385074"))
            .unwrap()
            .warnings
            .is_empty());
    }

    #[test]
    fn rejected_scans_keep_their_raw_bytes() {
        let mut f = frame(None, "4006381333932");
        f.raw = b"4006381333932\r".to_vec();
        let e = validate(f).unwrap_err();
        assert_eq!(e.raw(), Some(&b"4006381333932\r"[..]));
    }

    #[test]
    fn gs1_128_with_aim() {
        let s = validate(frame(
            Some("]C1"),
            "0103012345678902\u{1D}10LOT42\u{1D}17260131",
        ))
        .unwrap();
        match s.code {
            Code::Gs1(r) => {
                assert_eq!(r.gtin.as_deref(), Some("03012345678902"));
                assert_eq!(r.batch.as_deref(), Some("LOT42"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            validate(frame(Some("]C1"), "0103012345678901")),
            Err(ScanError::Gs1 { .. })
        ));
    }

    #[test]
    fn other_symbologies_pass_as_text() {
        let s = validate(frame(Some("]C0"), "T1-000042")).unwrap();
        assert_eq!(
            s.code,
            Code::Other {
                symbology: "]C0".into(),
                text: "T1-000042".into()
            }
        );
        let s = validate(frame(None, "12345")).unwrap();
        assert_eq!(s.code.symbology(), "unknown");
    }
}

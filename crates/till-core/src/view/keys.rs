//! The keys the payload scanner reads, as codes and as `"key":` templates
//! in the order serde writes them.

/// A key as its length and first and last 8 bytes (zero-padded): equal codes
/// mean equal keys, for keys of up to 16 bytes (longer keys are never read).
pub(super) type Code = (usize, u64, u64);

pub(super) const fn word(k: &[u8], from: usize, to: usize) -> u64 {
    let mut w = 0u64;
    let mut i = to;
    while i > from {
        i -= 1;
        w = (w << 8) | k[i] as u64;
    }
    w
}

pub(super) const fn code(k: &[u8]) -> Code {
    match k.len() {
        n @ 0..=8 => (n, word(k, 0, n), 0),
        n @ 9..=16 => (n, word(k, 0, 8), word(k, n - 8, n)),
        n => (n, u64::MAX, u64::MAX),
    }
}

pub(super) const KIND: Code = code(b"kind");
pub(super) const BUSINESS_DAY: Code = code(b"business_day");
pub(super) const TOTAL: Code = code(b"total");
pub(super) const CHANGE: Code = code(b"change");
pub(super) const TRAINING: Code = code(b"training");
pub(super) const LINES: Code = code(b"lines");
pub(super) const VAT: Code = code(b"vat");
pub(super) const TENDERS: Code = code(b"tenders");
pub(super) const ITEM_ID: Code = code(b"item_id");
pub(super) const QUANTITY: Code = code(b"quantity");
pub(super) const STOCK_TRACKED: Code = code(b"stock_tracked");
pub(super) const RATE: Code = code(b"rate");
pub(super) const BASE: Code = code(b"base");
pub(super) const TAX: Code = code(b"tax");
pub(super) const AMOUNT: Code = code(b"amount");

/// `"key":` as up to three masked little-endian words, and the key's code.
pub(super) struct Lit {
    pub len: usize,
    pub words: [u64; 3],
    pub mask: [u64; 3],
    pub code: Code,
}

pub(super) const fn lit(key: &[u8]) -> Lit {
    let mut text = [0u8; 24];
    let len = key.len() + 3;
    // Longer keys never match (len > 24): they take the general path.
    if len <= 24 {
        text[0] = b'"';
        let mut i = 0;
        while i < key.len() {
            text[i + 1] = key[i];
            i += 1;
        }
        text[len - 2] = b'"';
        text[len - 1] = b':';
    }
    let mut words = [0u64; 3];
    let mut mask = [0u64; 3];
    let mut k = 0;
    while k < 3 {
        words[k] = word(&text, 8 * k, 8 * k + 8);
        let mut b = 0;
        while b < 8 {
            if 8 * k + b < len {
                mask[k] |= 0xff << (8 * b);
            }
            b += 1;
        }
        k += 1;
    }
    Lit {
        len,
        words,
        mask,
        code: code(key),
    }
}

pub(super) const SALE_KEYS: [Lit; 17] = [
    lit(b"kind"),
    lit(b"sale_no"),
    lit(b"business_day"),
    lit(b"operator"),
    lit(b"customer"),
    lit(b"lines"),
    lit(b"basket_discount"),
    lit(b"total"),
    lit(b"rounding"),
    lit(b"vat"),
    lit(b"tenders"),
    lit(b"change"),
    lit(b"reverses"),
    lit(b"without_receipt"),
    lit(b"approvals"),
    lit(b"flags"),
    lit(b"training"),
];
pub(super) const LINE_KEYS: [Lit; 14] = [
    lit(b"line_no"),
    lit(b"item_id"),
    lit(b"barcode"),
    lit(b"name"),
    lit(b"unit"),
    lit(b"quantity"),
    lit(b"unit_price"),
    lit(b"overridden_from"),
    lit(b"vat_rate"),
    lit(b"gross"),
    lit(b"line_discount"),
    lit(b"basket_discount"),
    lit(b"total"),
    lit(b"stock_tracked"),
];
pub(super) const VAT_KEYS: [Lit; 4] = [lit(b"rate"), lit(b"base"), lit(b"tax"), lit(b"total")];
pub(super) const MOVEMENT_KEYS: [Lit; 5] = [
    lit(b"reason"),
    lit(b"reference"),
    lit(b"other_shop"),
    lit(b"operator"),
    lit(b"lines"),
];
pub(super) const MOVEMENT_LINE_KEYS: [Lit; 3] = [lit(b"item_id"), lit(b"delta"), lit(b"counted")];
pub(super) const REASON: Code = code(b"reason");
pub(super) const REVERSES: Code = code(b"reverses");
pub(super) const SEQ: Code = code(b"seq");
pub(super) const REF_KEYS: [Lit; 3] = [lit(b"terminal_id"), lit(b"seq"), lit(b"sale_no")];
pub(super) const DELTA: Code = code(b"delta");
pub(super) const SALE_NO: Code = code(b"sale_no");
pub(super) const OPERATOR: Code = code(b"operator");
pub(super) const CUSTOMER: Code = code(b"customer");
pub(super) const BASKET_DISCOUNT: Code = code(b"basket_discount");
pub(super) const ROUNDING: Code = code(b"rounding");
pub(super) const WITHOUT_RECEIPT: Code = code(b"without_receipt");
pub(super) const APPROVALS: Code = code(b"approvals");
pub(super) const FLAGS: Code = code(b"flags");
pub(super) const LINE_NO: Code = code(b"line_no");
pub(super) const BARCODE: Code = code(b"barcode");
pub(super) const NAME: Code = code(b"name");
pub(super) const UNIT: Code = code(b"unit");
pub(super) const UNIT_PRICE: Code = code(b"unit_price");
pub(super) const OVERRIDDEN_FROM: Code = code(b"overridden_from");
pub(super) const VAT_RATE: Code = code(b"vat_rate");
pub(super) const GROSS: Code = code(b"gross");
pub(super) const LINE_DISCOUNT: Code = code(b"line_discount");
pub(super) const REFERENCE: Code = code(b"reference");
pub(super) const CARD: Code = code(b"card");
pub(super) const TERMINAL_ID: Code = code(b"terminal_id");
pub(super) const OTHER_SHOP: Code = code(b"other_shop");
pub(super) const COUNTED: Code = code(b"counted");
pub(super) const APPROVED: Code = code(b"approved");
pub(super) const MASKED_PAN: Code = code(b"masked_pan");
pub(super) const AUTH_CODE: Code = code(b"auth_code");
pub(super) const SCHEME: Code = code(b"scheme");
pub(super) const READ_MODE: Code = code(b"read_mode");
pub(super) const TERMINAL_REFERENCE: Code = code(b"terminal_reference");
pub(super) const ACTION: Code = code(b"action");
pub(super) const REQUESTED_BY: Code = code(b"requested_by");
pub(super) const APPROVED_BY: Code = code(b"approved_by");
pub(super) const DETAIL: Code = code(b"detail");
pub(super) const CARD_KEYS: [Lit; 6] = [
    lit(b"approved"),
    lit(b"masked_pan"),
    lit(b"auth_code"),
    lit(b"scheme"),
    lit(b"read_mode"),
    lit(b"terminal_reference"),
];
pub(super) const APPROVAL_KEYS: [Lit; 4] = [
    lit(b"action"),
    lit(b"requested_by"),
    lit(b"approved_by"),
    lit(b"detail"),
];
pub(super) const TENDER_KEYS: [Lit; 4] = [
    lit(b"kind"),
    lit(b"amount"),
    lit(b"reference"),
    lit(b"card"),
];

//! Test support, not an API: the payload mutations that the view's property
//! tests (`view/tests.rs`) and the verifier's (`till-journal`'s
//! `tests/verify_fast.rs`) apply to real payloads, kept in one place so that
//! both test the scanner against the same kinds of damage. proptest stays a
//! dev-dependency: each test draws its edits from [`EDIT_ALPHABET`] with its
//! own strategy.

/// The bytes an edit inserts or writes: JSON's structure, escapes, digits,
/// the letters of `true`, `false`, `null` and exponents, a tab, a two-byte
/// UTF-8 character and a control byte.
pub const EDIT_ALPHABET: &[u8] = b"{}[]\":,\\ u0123456789.-aelnrtsfE\t\xc3\xa9\x01";

/// Applies `edits` to `p`, each `(at, op, byte)`: at position `at` (modulo
/// the length), op 0 overwrites a byte, 1 inserts one, 2 removes one, 3
/// repeats a slice of up to 40 bytes (duplicate keys, doubled values).
pub fn mutate(mut p: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, op, b) in edits {
        let i = at % (p.len() + 1);
        match op {
            0 if i < p.len() => p[i] = b,
            1 => p.insert(i, b),
            2 if i < p.len() => {
                p.remove(i);
            }
            _ => {
                // Repeat a slice: duplicate keys, doubled values.
                let j = (i + 1 + at % 40).min(p.len());
                let piece = p[i..j].to_vec();
                p.splice(i..i, piece);
            }
        }
    }
    p
}

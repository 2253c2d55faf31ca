//! The character tables customer displays hold: PC858 (Epson DM-D: `ESC t
//! 19`, the printer's table, with the euro and every French accent) and
//! PC437 (the factory table of most CD5220 poles: the lower-case accents
//! and É, Ç, but no other accented capital and no euro).

use crate::escpos::pc858;

/// A display's character table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Code page 858: CP850 with the euro at 0xD5.
    Pc858,
    /// Code page 437.
    Pc437,
}

/// PC437's French letters and signs: Epson "Character Code Tables", page 0
/// (PC437: USA, Standard Europe), checked byte by byte.
const PC437: &[(char, u8)] = &[
    ('Ç', 0x80),
    ('ü', 0x81),
    ('é', 0x82),
    ('â', 0x83),
    ('ä', 0x84),
    ('à', 0x85),
    ('ç', 0x87),
    ('ê', 0x88),
    ('ë', 0x89),
    ('è', 0x8A),
    ('ï', 0x8B),
    ('î', 0x8C),
    ('Ä', 0x8E),
    ('É', 0x90),
    ('æ', 0x91),
    ('Æ', 0x92),
    ('ô', 0x93),
    ('ö', 0x94),
    ('û', 0x96),
    ('ù', 0x97),
    ('ÿ', 0x98),
    ('Ö', 0x99),
    ('Ü', 0x9A),
    ('£', 0x9C),
    ('«', 0xAE),
    ('»', 0xAF),
    ('°', 0xF8),
    ('·', 0xFA),
];

/// What PC437 lacks, spelled with what it has.
fn pc437_substitute(c: char) -> Option<&'static str> {
    Some(match c {
        '€' => "EUR",
        'À' | 'Â' => "A",
        'È' | 'Ê' | 'Ë' => "E",
        'Î' | 'Ï' => "I",
        'Ô' => "O",
        'Ù' | 'Û' => "U",
        'Ÿ' => "Y",
        'œ' => "oe",
        'Œ' => "OE",
        '\u{2019}' | '\u{2018}' => "'",
        '\u{00A0}' | '\u{202F}' | '\u{2009}' => " ",
        '\u{2013}' | '\u{2014}' => "-",
        _ => return None,
    })
}

impl std::str::FromStr for Charset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pc858" | "858" => Ok(Charset::Pc858),
            "pc437" | "437" => Ok(Charset::Pc437),
            other => Err(format!(
                "\"{other}\" n'est pas une table de caractères : \"pc858\" (avec l'euro) ou \"pc437\""
            )),
        }
    }
}

impl Charset {
    /// The name till.toml uses.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Pc858 => "pc858",
            Charset::Pc437 => "pc437",
        }
    }

    /// Epson's `ESC t n` number for this table.
    pub fn epson_code_page(self) -> u8 {
        match self {
            Charset::Pc858 => 19,
            Charset::Pc437 => 0,
        }
    }

    /// `text` in this table; a character it lacks is spelled with others
    /// (PC437: "EUR" for €, E for È) or shown as '?'. Control characters
    /// become spaces: the display would take them as commands.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Charset::Pc858 => {
                // The printer's encoder, whose French letters are tested;
                // its substitutes (oe, OE...) are ASCII.
                let text: String = text
                    .chars()
                    .map(|c| if c == '\u{00A0}' { ' ' } else { c })
                    .collect();
                pc858::encode(&text)
            }
            Charset::Pc437 => {
                let mut out = Vec::with_capacity(text.len());
                for c in text.chars() {
                    if c.is_ascii() {
                        out.push(if c.is_ascii_control() { b' ' } else { c as u8 });
                    } else if let Some((_, b)) = PC437.iter().find(|(k, _)| *k == c) {
                        out.push(*b);
                    } else if let Some(s) = pc437_substitute(c) {
                        out.extend_from_slice(s.as_bytes());
                    } else {
                        out.push(b'?');
                    }
                }
                out
            }
        }
    }

    /// The character a byte shows as (the simulator's side).
    pub fn decode_byte(self, b: u8) -> char {
        if b < 0x80 {
            return b as char;
        }
        match self {
            Charset::Pc858 => pc858::decode_byte(b),
            Charset::Pc437 => PC437
                .iter()
                .find(|(_, v)| *v == b)
                .map(|(c, _)| *c)
                .unwrap_or('?'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every French letter, each way round, in both tables.
    const FRENCH: &str = "àâäçéèêëîïôöùûüÿæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ€";

    #[test]
    fn every_french_letter_reads_back_or_is_spelled_out() {
        let bytes = Charset::Pc858.encode(FRENCH);
        let back: String = bytes
            .iter()
            .map(|b| Charset::Pc858.decode_byte(*b))
            .collect();
        // PC858 has all but the oe ligature and Ÿ, spelled out.
        assert_eq!(back, "àâäçéèêëîïôöùûüÿæoeÀÂÄÇÉÈÊËÎÏÔÖÙÛÜYÆOE€");
        assert_eq!(Charset::Pc858.encode("€"), vec![0xD5]);
        assert_eq!(Charset::Pc858.encode("é"), vec![0x82]);
        assert_eq!(Charset::Pc858.encode("À"), vec![0xB7]);
        let bytes = Charset::Pc437.encode(FRENCH);
        let back: String = bytes
            .iter()
            .map(|b| Charset::Pc437.decode_byte(*b))
            .collect();
        assert_eq!(back, "àâäçéèêëîïôöùûüÿæoeAAÄÇÉEEEIIOÖUUÜYÆOEEUR");
        for (c, b) in PC437 {
            assert_eq!(Charset::Pc437.decode_byte(*b), *c);
        }
        assert_eq!(Charset::Pc437.encode("a\x1bb"), b"a b".to_vec());
        assert_eq!(Charset::Pc858.encode("a\x1bb"), b"a b".to_vec());
    }
}

//! UTF-8 to code page PC858 (`ESC t 19`), the code page that has both the
//! euro sign (0xD5) and every French accent except the oe ligature.
//!
//! The upper half below is the IBM/Microsoft code page 858 table (CP850 with
//! the euro at 0xD5 in place of the dotless i), as printed in the Epson
//! "Character Code Tables" (page 19, PC858: Euro). Each French character was
//! checked against it by a test.

/// What a character becomes on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoded {
    /// The character exists in PC858: this byte.
    Byte(u8),
    /// It does not; print this ASCII stand-in instead (decided per character).
    Substitute(&'static str),
}

/// Byte 0x80 + i of PC858 is `UPPER[i]`.
pub const UPPER: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}',
    '\u{00E7}', // 80..87
    '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}', '\u{00C4}',
    '\u{00C5}', // 88..8F
    '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}', '\u{00F2}', '\u{00FB}',
    '\u{00F9}', // 90..97
    '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00F8}', '\u{00A3}', '\u{00D8}', '\u{00D7}',
    '\u{0192}', // 98..9F
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}',
    '\u{00BA}', // A0..A7
    '\u{00BF}', '\u{00AE}', '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}',
    '\u{00BB}', // A8..AF
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}',
    '\u{00C0}', // B0..B7
    '\u{00A9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{00A2}', '\u{00A5}',
    '\u{2510}', // B8..BF
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{00E3}',
    '\u{00C3}', // C0..C7
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}',
    '\u{00A4}', // C8..CF
    '\u{00F0}', '\u{00D0}', '\u{00CA}', '\u{00CB}', '\u{00C8}', '\u{20AC}', '\u{00CD}',
    '\u{00CE}', // D0..D7
    '\u{00CF}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{00A6}', '\u{00CC}',
    '\u{2580}', // D8..DF
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{00D2}', '\u{00F5}', '\u{00D5}', '\u{00B5}',
    '\u{00FE}', // E0..E7
    '\u{00DE}', '\u{00DA}', '\u{00DB}', '\u{00D9}', '\u{00FD}', '\u{00DD}', '\u{00AF}',
    '\u{00B4}', // E8..EF
    '\u{00AD}', '\u{00B1}', '\u{2017}', '\u{00BE}', '\u{00B6}', '\u{00A7}', '\u{00F7}',
    '\u{00B8}', // F0..F7
    '\u{00B0}', '\u{00A8}', '\u{00B7}', '\u{00B9}', '\u{00B3}', '\u{00B2}', '\u{25A0}',
    '\u{00A0}', // F8..FF
];

/// Characters PC858 lacks, with the stand-in a French reader expects. Kept
/// explicit (not "strip accents") because each choice is a decision:
/// the oe ligature is spelled out, typographic quotes become straight ones,
/// the narrow no-break space French puts before `;:!?` becomes a space.
const SUBSTITUTES: &[(char, &str)] = &[
    ('\u{0153}', "oe"), // oe ligature: "c\u{0153}ur" prints "coeur"
    ('\u{0152}', "OE"), // OE ligature
    ('\u{0178}', "Y"),  // Y with diaeresis (L'Ha\u{00FF}-les-Roses upper-cased)
    ('\u{2019}', "'"),  // right single quote, the French apostrophe
    ('\u{2018}', "'"),
    ('\u{201C}', "\""),
    ('\u{201D}', "\""),
    ('\u{201E}', "\""),
    ('\u{2013}', "-"),   // en dash
    ('\u{2014}', "-"),   // em dash
    ('\u{2026}', "..."), // ellipsis
    ('\u{202F}', " "),   // narrow no-break space
    ('\u{2009}', " "),   // thin space
];

/// How one character prints in PC858.
pub fn encode_char(c: char) -> Encoded {
    if (c as u32) < 0x80 {
        // Control characters would be taken as commands: print a space.
        return if c.is_ascii_control() {
            Encoded::Substitute(" ")
        } else {
            Encoded::Byte(c as u8)
        };
    }
    if let Some(i) = UPPER.iter().position(|&u| u == c) {
        return Encoded::Byte(0x80 + i as u8);
    }
    if c == '\u{2022}' {
        return Encoded::Byte(0xFA); // middle dot
    }
    match SUBSTITUTES.iter().find(|(k, _)| *k == c) {
        Some((_, s)) => Encoded::Substitute(s),
        None => Encoded::Substitute("?"),
    }
}

/// Append the PC858 encoding of `text` to `out`.
pub fn encode_into(text: &str, out: &mut Vec<u8>) {
    for c in text.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c as u8); // fast path: most receipt text is ASCII
            continue;
        }
        match encode_char(c) {
            Encoded::Byte(b) => out.push(b),
            Encoded::Substitute(s) => {
                for sc in s.chars() {
                    if let Encoded::Byte(b) = encode_char(sc) {
                        out.push(b);
                    }
                }
            }
        }
    }
}

/// The PC858 encoding of `text`.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    encode_into(text, &mut out);
    out
}

/// Width in printed columns of `text` once encoded (substitutions included).
pub fn printed_width(text: &str) -> usize {
    text.chars()
        .map(|c| match encode_char(c) {
            Encoded::Byte(_) => 1,
            Encoded::Substitute(s) => s.chars().count(),
        })
        .sum()
}

/// The character a PC858 byte prints as (for rendering captured streams).
pub fn decode_byte(b: u8) -> char {
    if b < 0x80 {
        b as char
    } else {
        UPPER[(b - 0x80) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euro_is_d5() {
        assert_eq!(encode_char('\u{20AC}'), Encoded::Byte(0xD5));
        assert_eq!(encode("12,50 \u{20AC}"), b"12,50 \xD5".to_vec());
    }

    #[test]
    fn french_lower_case_accents_have_their_pc858_codes() {
        let expected = [
            ('\u{00E9}', 0x82), // e acute
            ('\u{00E8}', 0x8A), // e grave
            ('\u{00EA}', 0x88), // e circumflex
            ('\u{00E0}', 0x85), // a grave
            ('\u{00E7}', 0x87), // c cedilla
            ('\u{00F9}', 0x97), // u grave
            ('\u{00F4}', 0x93), // o circumflex
            ('\u{00EE}', 0x8C), // i circumflex
            ('\u{00EB}', 0x89), // e diaeresis
            ('\u{00EF}', 0x8B), // i diaeresis
            ('\u{00E2}', 0x83), // a circumflex
            ('\u{00FB}', 0x96), // u circumflex
            ('\u{00FC}', 0x81), // u diaeresis
            ('\u{00FF}', 0x98), // y diaeresis
            ('\u{00E6}', 0x91), // ae
        ];
        for (c, b) in expected {
            assert_eq!(encode_char(c), Encoded::Byte(b), "{c}");
            assert_eq!(decode_byte(b), c);
        }
    }

    #[test]
    fn french_upper_case_accents_have_their_pc858_codes() {
        let expected = [
            ('\u{00C9}', 0x90),
            ('\u{00C8}', 0xD4),
            ('\u{00CA}', 0xD2),
            ('\u{00C0}', 0xB7),
            ('\u{00C7}', 0x80),
            ('\u{00D9}', 0xEB),
            ('\u{00D4}', 0xE2),
            ('\u{00CE}', 0xD7),
            ('\u{00CB}', 0xD3),
            ('\u{00CF}', 0xD8),
            ('\u{00C2}', 0xB6),
            ('\u{00DB}', 0xEA),
            ('\u{00B0}', 0xF8),
            ('\u{00AB}', 0xAE),
            ('\u{00BB}', 0xAF),
        ];
        for (c, b) in expected {
            assert_eq!(encode_char(c), Encoded::Byte(b), "{c}");
        }
    }

    #[test]
    fn oe_ligatures_are_spelled_out() {
        assert_eq!(encode_char('\u{0153}'), Encoded::Substitute("oe"));
        assert_eq!(encode_char('\u{0152}'), Encoded::Substitute("OE"));
        assert_eq!(encode("c\u{0153}ur \u{0152}uf"), b"coeur OEuf".to_vec());
        assert_eq!(printed_width("c\u{0153}ur"), 5);
    }

    #[test]
    fn typography_and_unknowns_have_safe_stand_ins() {
        assert_eq!(
            encode("l\u{2019}\u{00E9}t\u{00E9}\u{202F}!"),
            b"l'\x82t\x82 !".to_vec()
        );
        assert_eq!(encode("\u{2026}"), b"...".to_vec());
        assert_eq!(encode("\u{4E2D}"), b"?".to_vec());
        // A control character must never reach the printer as a command.
        assert_eq!(encode("a\x1bb"), b"a b".to_vec());
    }

    #[test]
    fn every_upper_byte_round_trips() {
        for b in 0x80..=0xFFu8 {
            assert_eq!(encode_char(decode_byte(b)), Encoded::Byte(b), "{b:02X}");
        }
    }
}

//! The keys the counter understands, independent of the terminal library so
//! the state machine can be driven by tests.

/// One key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character (digits, letters, `*`, `,`, `.`, space).
    Char(char),
    /// Enter (also the keypad's Enter).
    Enter,
    /// Escape: back or cancel.
    Esc,
    /// Erase the last character typed.
    Backspace,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Function key F1 to F12.
    F(u8),
}

impl Key {
    /// Keys from a string, for tests: "12*3000000000012\n" types characters;
    /// `\n` is Enter.
    pub fn typed(s: &str) -> Vec<Key> {
        s.chars()
            .map(|c| if c == '\n' { Key::Enter } else { Key::Char(c) })
            .collect()
    }
}

//! The bottom of the counter screen: the message under the input, wrapped
//! at word boundaries, and the status line, built from parts that are
//! shortened, then dropped (least useful first) until the line fits: at 80
//! or 120 columns nothing is ever cut in the middle of a word.

use super::shell::App;
use comptoir_i18n::till::Till;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::time::Instant;

/// At most this many lines of message under the input.
const MESSAGE_ROWS: usize = 3;

/// The words of `text` for wrapping: a number's groups of thousands
/// (`10 000`), and the unit after a number (`12,50 €`, `5,5 %`), stay
/// together, as a no-break space would keep them.
pub fn unbreakable_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        let glue = words.last().is_some_and(|prev| {
            let ends_digit = prev.chars().last().is_some_and(|c| c.is_ascii_digit());
            let group = w.len() >= 3
                && w.chars().take(3).all(|c| c.is_ascii_digit())
                && !w.chars().nth(3).is_some_and(|c| c.is_ascii_digit());
            ends_digit && (group || w == "€" || w.starts_with('%'))
        });
        match words.last_mut() {
            Some(prev) if glue => {
                prev.push(' ');
                prev.push_str(w);
            }
            _ => words.push(w.to_string()),
        }
    }
    words
}

/// `text` in lines of at most `width` characters, broken at spaces; a
/// single word longer than the line (a path) is the only thing split.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in unbreakable_words(text) {
        let word = word.as_str();
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            lines.push(line.chars().take(width).collect());
            line = line.chars().skip(width).collect();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The message as shown: wrapped to the screen's width, at most
/// [`MESSAGE_ROWS`] lines; a longer one ends with "..." after a whole word.
pub fn message_lines(app: &App, width: u16) -> Vec<String> {
    let Some((_, text)) = app.message() else {
        return Vec::new();
    };
    let mut lines = wrap(text, width as usize);
    if lines.len() > MESSAGE_ROWS {
        lines.truncate(MESSAGE_ROWS);
        if let Some(last) = lines.last_mut() {
            let w = width as usize;
            while last.chars().count() + 4 > w {
                match last.rfind(' ') {
                    Some(i) => last.truncate(i),
                    None => break,
                }
            }
            last.push_str(" ...");
        }
    }
    lines
}

/// One part of the status line: its long and short forms, and whether it
/// may be dropped when the line is too narrow.
struct Part {
    long: String,
    short: String,
    keep: bool,
}

/// The parts joined with " | ": long forms if they fit, else short ones,
/// else the short ones without the droppable parts (from the end).
pub fn fit(parts: &[(String, String, bool)], width: usize) -> String {
    let parts: Vec<Part> = parts
        .iter()
        .map(|(long, short, keep)| Part {
            long: long.clone(),
            short: short.clone(),
            keep: *keep,
        })
        .collect();
    let join = |v: Vec<&str>| format!(" {}", v.join(" | "));
    let long = join(parts.iter().map(|p| p.long.as_str()).collect());
    if long.chars().count() <= width {
        return long;
    }
    let mut shown: Vec<&Part> = parts.iter().collect();
    loop {
        let line = join(shown.iter().map(|p| p.short.as_str()).collect());
        if line.chars().count() <= width {
            return line;
        }
        match shown.iter().rposition(|p| !p.keep) {
            Some(i) => {
                shown.remove(i);
            }
            // Only essential parts left: drop whole parts from the end.
            None if shown.len() > 1 => {
                shown.pop();
            }
            None => return super::ui::cut(&line, width),
        }
    }
}

/// The status line: printer, drawer, scanner, head office, receipts not
/// printed, the payment terminal.
pub fn draw_status(f: &mut Frame, area: Rect, app: &App) {
    let s = app.status();
    let now = Instant::now();
    let tr = |m: Till| app.tr(m);
    let drawer = match (s.drawer_open, s.drawer_left_open(now)) {
        (Some(true), Some(secs)) => app.trf(Till::StDrawerOpenFor, &[("secs", &secs)]),
        (Some(true), None) => tr(Till::StDrawerOpen),
        (Some(false), _) => tr(Till::StDrawerClosed),
        (None, _) => tr(Till::StUnknown),
    };
    let alarm = s.drawer_left_open(now).is_some();
    let printer = super::ui::cut(&s.printer, 24);
    let scanner = super::ui::cut(&s.scanner, 16);
    let mut parts: Vec<(String, String, bool)> = vec![
        (
            app.trf(Till::StPrinter, &[("state", &printer)]),
            app.trf(Till::StPrinterShort, &[("state", &printer)]),
            true,
        ),
        (
            app.trf(Till::StDrawer, &[("state", &drawer)]),
            app.trf(Till::StDrawer, &[("state", &drawer)]),
            true,
        ),
        (
            app.trf(Till::StScanner, &[("state", &scanner)]),
            app.trf(Till::StScannerShort, &[("state", &scanner)]),
            false,
        ),
    ];
    if s.offline(now) {
        let off = tr(Till::StOffline);
        parts.push((off.clone(), off, true));
    }
    if s.has_head_office() {
        let n = s.waiting();
        let age = match s.sync_age_s {
            None => tr(Till::StNeverSent),
            Some(a) if a < 120 => app.trf(Till::StSentSecs, &[("n", &a)]),
            Some(a) if a < 7200 => app.trf(Till::StSentMins, &[("n", &(a / 60))]),
            Some(a) => app.trf(Till::StSentHours, &[("n", &(a / 3600))]),
        };
        parts.push((
            format!("{}, {age}", app.trf(Till::StSync, &[("n", &n)])),
            app.trf(Till::StSyncShort, &[("n", &n)]),
            false,
        ));
    }
    if !s.unprinted.is_empty() {
        let n = s.unprinted.len();
        parts.push((
            app.trf(Till::StUnprinted, &[("n", &n)]),
            app.trf(Till::StUnprintedShort, &[("n", &n)]),
            true,
        ));
    }
    // The terminal only shows when it has something to say.
    let terminal = if app.terminal().paying.is_some() {
        Some(tr(Till::StTerminalPaying))
    } else if app.terminal().listening(now) {
        Some(tr(Till::StTerminalListening))
    } else {
        None
    };
    if let Some(t) = terminal {
        parts.push((t.clone(), t, false));
    }
    let text = fit(&parts, area.width as usize);
    let style = if s.printer_ready && !alarm {
        Style::new().fg(Color::White).bg(Color::DarkGray)
    } else {
        Style::new().fg(Color::White).bg(Color::Red)
    };
    f.render_widget(Paragraph::new(text).style(style), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_never_cuts_a_word() {
        let text = "Ticket T1-000012 non imprimé (plus de papier). La vente est enregistrée ; réimpression : F9 puis 4.";
        for width in [30, 80, 120] {
            let lines = wrap(text, width);
            assert_eq!(lines.join(" "), text);
            assert!(lines.iter().all(|l| l.chars().count() <= width));
        }
    }

    #[test]
    fn amounts_are_never_split_across_lines() {
        let text =
            "Quantité impossible : 1,5 (nombre entier, au plus 10 000) ; total 1 234,50 € ; 5,5 %";
        for width in 10..60 {
            for line in wrap(text, width) {
                assert!(
                    !line.ends_with("10") && !line.starts_with("000"),
                    "{width}: {line:?}"
                );
                assert!(
                    !line.starts_with('€') && !line.starts_with('%'),
                    "{width}: {line:?}"
                );
            }
        }
    }

    #[test]
    fn the_status_line_drops_whole_parts_to_fit() {
        let parts = vec![
            (
                "Imprimante : plus de papier".to_string(),
                "Impr : plus de papier".to_string(),
                true,
            ),
            (
                "Tiroir : fermé".to_string(),
                "Tiroir : fermé".to_string(),
                true,
            ),
            (
                "Scanner : prêt".to_string(),
                "Scan : prêt".to_string(),
                false,
            ),
            (
                "Siège : 12 en attente, envoi il y a 3 min".to_string(),
                "Siège : 12 att.".to_string(),
                false,
            ),
            ("HORS LIGNE".to_string(), "HORS LIGNE".to_string(), true),
            (
                "2 ticket(s) non imprimé(s)".to_string(),
                "2 non imprimé(s)".to_string(),
                true,
            ),
        ];
        for width in [40, 80, 120] {
            let line = fit(&parts, width);
            assert!(line.chars().count() <= width, "{width}: {line}");
            // Every part shown is whole.
            for piece in line.trim().split(" | ") {
                assert!(
                    parts.iter().any(|(l, s, _)| l == piece || s == piece),
                    "{width}: {piece:?} is a cut part"
                );
            }
        }
        assert!(fit(&parts, 80).contains("HORS LIGNE"));
    }
}

//! The terminal loop: crossterm keys in, ratatui frames out, a tick every
//! 100 ms for device reports and the status line.

use super::keys::Key;
use super::shell::App;
use anyhow::{Context, Result};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::ExecutableCommand;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::time::Duration;

/// Puts the terminal back however the loop ends (error or panic included),
/// so the console stays usable.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = disable_raw_mode();
        let _ = std::io::stdout().execute(LeaveAlternateScreen);
    }
}

/// The crossterm key as the app's key; None for keys the app ignores.
fn map_key(k: event::KeyEvent) -> Option<Key> {
    Some(match k.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace | KeyCode::Delete => Key::Backspace,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::F(n) => Key::F(n),
        _ => return None,
    })
}

/// A key the demo handles itself (F11: scan an article, F12: paper out).
pub type Hotkey = (u8, Box<dyn FnMut()>);

/// Runs until Ctrl-C / Ctrl-Q. `hotkeys` are the demo's function keys that
/// drive the simulators rather than the app.
pub fn run(app: &mut App, mut hotkeys: Vec<Hotkey>) -> Result<()> {
    enable_raw_mode().context("the counter app needs a terminal (raw mode failed)")?;
    let _restore = Restore;
    std::io::stdout()
        .execute(EnterAlternateScreen)
        .context("entering the alternate screen")?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let mut dirty = true;
    let mut leave_anyway = false;
    // Draw first, then save the basket: the scanned line is on screen
    // before the fsync, and saved before the next key is read.
    app.set_defer_persist(true);
    loop {
        if dirty {
            term.draw(|f| super::ui::draw(f, app))?;
            dirty = false;
        }
        app.flush();
        if event::poll(Duration::from_millis(100))? {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                    if ctrl && matches!(k.code, KeyCode::Char('c') | KeyCode::Char('q')) {
                        // Leaving while the terminal works would leave its
                        // answer unheard: a first press only warns (the
                        // pending file still flags it at the next start).
                        // Same while a late answer is still listened for.
                        let busy = app.terminal().paying.is_some()
                            || app.terminal().listening(std::time::Instant::now());
                        if busy && !leave_anyway {
                            leave_anyway = true;
                            app.warn(
                                "Paiement en cours sur le terminal : attendez sa réponse \
                                 (Ctrl-Q encore pour quitter quand même)",
                            );
                            dirty = true;
                            continue;
                        }
                        // The basket is already saved: leaving loses nothing.
                        break;
                    }
                    let hot = hotkeys.iter_mut().find(|(n, _)| k.code == KeyCode::F(*n));
                    if let Some((_, f)) = hot {
                        f();
                    } else if let Some(key) = map_key(k) {
                        app.key(key);
                    }
                    dirty = true;
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
        dirty |= app.tick();
    }
    app.flush();
    // Leaving the counter ends the session in the journal; the basket stays.
    app.logout();
    app.finish_devices();
    Ok(())
}

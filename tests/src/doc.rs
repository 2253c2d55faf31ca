//! The shell commands a Markdown file tells its reader to type.
//!
//! Every line of a ```sh (or bash, shell) block is a command, except blank
//! and comment lines; a line ending in `\` continues on the next. A block
//! right after `<!-- doc-test: skip REASON -->` (an HTML comment: invisible
//! on the rendered page) is returned with its commands marked skipped and
//! the reason, so a test can assert exactly which lines it does not run.

/// The marker that sets the next code block aside.
pub const SKIP_MARKER: &str = "<!-- doc-test: skip";

/// One command of a code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocCommand {
    /// 1-based line in the file (its first line when continued).
    pub line: usize,
    /// The command as written, continuation lines joined.
    pub text: String,
    /// Why it is not run, if its block is marked.
    pub skipped: Option<String>,
}

impl DocCommand {
    /// The command without its trailing `# comment`.
    pub fn code(&self) -> &str {
        strip_comment(&self.text).trim()
    }

    /// Does it end in `&` (runs in the background)?
    pub fn background(&self) -> bool {
        let c = self.code();
        c.ends_with('&') && !c.ends_with("&&")
    }

    /// `name=value`: a shell variable later commands use.
    pub fn assignment(&self) -> Option<(&str, &str)> {
        let (name, value) = self.code().split_once('=')?;
        let ok = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && !value.contains(char::is_whitespace);
        ok.then_some((name, value))
    }
}

/// A fenced code block that is not shell (its language, and line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherBlock {
    /// The info string after the fence ("" when none).
    pub language: String,
    /// 1-based line of the opening fence.
    pub line: usize,
}

/// Everything fenced in a Markdown file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Blocks {
    /// Commands of the shell blocks, in order.
    pub commands: Vec<DocCommand>,
    /// The other blocks, so a test can refuse an unlabelled command block.
    pub others: Vec<OtherBlock>,
}

/// `line` without a trailing `# comment` (a `#` outside quotes, at the
/// start or after a space).
pub fn strip_comment(line: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

/// The shell commands and other code blocks of `markdown`.
pub fn blocks(markdown: &str) -> Blocks {
    let mut out = Blocks::default();
    let mut skip: Option<String> = None;
    let mut lines = markdown.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((n, line)) = lines.next() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix(SKIP_MARKER) {
            skip = Some(rest.trim_end_matches("-->").trim().to_string());
            continue;
        }
        let Some(info) = t.strip_prefix("```") else {
            if !t.is_empty() {
                skip = None;
            }
            continue;
        };
        let language = info.trim().to_string();
        let shell = matches!(language.as_str(), "sh" | "bash" | "shell");
        if !shell {
            out.others.push(OtherBlock { language, line: n });
        }
        let reason = skip.take();
        let mut pending: Option<(usize, String)> = None;
        for (n, line) in lines.by_ref() {
            if line.trim_start().starts_with("```") {
                break;
            }
            if !shell {
                continue;
            }
            let (start, mut text) = match pending.take() {
                Some((start, text)) => (start, format!("{text} {}", line.trim())),
                None => (n, line.trim().to_string()),
            };
            if text.ends_with('\\') {
                text.pop();
                pending = Some((start, text.trim_end().to_string()));
                continue;
            }
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            out.commands.push(DocCommand {
                line: start,
                text,
                skipped: reason.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_comments_continuations_and_markers() {
        let md = "intro\n```sh\nx=1   # a variable\n# only a comment\n\n$x run \\\n  --fast &  # bg\necho '# not a comment' # one\n```\n\
                  <!-- doc-test: skip (the set-up) -->\n```sh\napt-get install tmux\n```\n\
                  ```toml\n[a]\n```\nafter\n```\nplain\n```\n";
        let b = blocks(md);
        let texts: Vec<_> = b.commands.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "x=1   # a variable",
                "$x run --fast &  # bg",
                "echo '# not a comment' # one",
                "apt-get install tmux"
            ]
        );
        assert_eq!(b.commands[0].assignment(), Some(("x", "1")));
        assert!(b.commands[1].background() && b.commands[1].line == 6);
        assert_eq!(b.commands[2].code(), "echo '# not a comment'");
        assert!(b.commands[..3].iter().all(|c| c.skipped.is_none()));
        assert_eq!(b.commands[3].skipped.as_deref(), Some("(the set-up)"));
        let langs: Vec<_> = b.others.iter().map(|o| o.language.as_str()).collect();
        assert_eq!(langs, ["toml", ""]);
    }

    #[test]
    fn a_marker_applies_only_to_the_block_right_after_it() {
        let md = "<!-- doc-test: skip why -->\nsome prose\n```sh\nls\n```\n";
        assert_eq!(blocks(md).commands[0].skipped, None);
        assert!(!DocCommand {
            line: 1,
            text: "a && b".into(),
            skipped: None
        }
        .background());
    }
}

//! Filling and checking message templates.

use std::fmt::{Display, Write};

use crate::Lang;

/// A message of the catalog: its text in each language, with `{name}` placeholders.
/// Implemented by the enums that [`crate::catalog!`] declares.
pub trait Template: Copy {
    /// The raw text, placeholders unfilled.
    fn template(self, lang: Lang) -> &'static str;

    /// The key, for logs and tests only: it never reaches a screen.
    fn key(self) -> &'static str;

    /// The text of a message without placeholders (`{{`/`}}` unescaped).
    fn text(self, lang: Lang) -> String {
        self.fill(lang, &[])
    }

    /// The text with each `{name}` replaced by its value. A placeholder left without a
    /// value stays visible as `{name}`, so a missing argument shows in tests and screens
    /// instead of silently dropping words.
    fn fill(self, lang: Lang, args: &[(&str, &dyn Display)]) -> String {
        fill(self.template(lang), args)
    }
}

fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let (true, Some(end)) = (tail.starts_with('{'), tail.find('}')) {
            let name = &tail[1..end];
            match args.iter().find(|(n, _)| *n == name) {
                Some((_, value)) => {
                    let _ = write!(out, "{value}");
                }
                None => out.push_str(&tail[..=end]),
            }
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The placeholder names of a template, sorted, without duplicates.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let tail = &rest[i..];
        if tail.starts_with("{{") {
            rest = &tail[2..];
            continue;
        }
        match tail.find('}') {
            Some(end) => {
                names.push(&tail[1..end]);
                rest = &tail[end + 1..];
            }
            None => break,
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// What is wrong with a catalog: an empty text, or languages that disagree on the
/// placeholders. Empty when the catalog is sound; each area's tests assert that.
pub fn check_templates<T: Template>(all: &[T]) -> Vec<String> {
    let mut problems = Vec::new();
    for &message in all {
        let fr = message.template(Lang::Fr);
        let en = message.template(Lang::En);
        for (lang, text) in [(Lang::Fr, fr), (Lang::En, en)] {
            if text.trim().is_empty() {
                problems.push(format!(
                    "{}: the {} text is empty",
                    message.key(),
                    lang.code()
                ));
            }
        }
        if placeholders(fr) != placeholders(en) {
            problems.push(format!(
                "{}: placeholders differ, fr {:?} en {:?}",
                message.key(),
                placeholders(fr),
                placeholders(en)
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::catalog! {
        enum Sample {
            Plain => { fr: "Caisse fermée", en: "Till closed" },
            Args => { fr: "{n} articles, {total}", en: "{n} items, {total}" },
            Braces => { fr: "{{code}} {x}", en: "{{code}} {x}" },
            Broken => { fr: "Reste {due}", en: "Due {amount}" },
        }
    }

    #[test]
    fn fills_named_placeholders_and_escapes_braces() {
        assert_eq!(Sample::Plain.text(Lang::Fr), "Caisse fermée");
        assert_eq!(
            Sample::Args.fill(Lang::Fr, &[("total", &"3,00 €"), ("n", &2)]),
            "2 articles, 3,00 €"
        );
        assert_eq!(Sample::Braces.fill(Lang::En, &[("x", &1)]), "{code} 1");
        assert_eq!(
            Sample::Args.fill(Lang::En, &[("n", &2)]),
            "2 items, {total}"
        );
    }

    #[test]
    fn a_catalog_whose_languages_disagree_is_reported() {
        let problems = check_templates(Sample::ALL);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("Broken: placeholders differ"));
        assert_eq!(placeholders("{a} {b} {a} {{c}}"), vec!["a", "b"]);
    }
}

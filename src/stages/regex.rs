//! `regex`: drops documents whose text (or URL) matches any of a list of
//! regular expressions, or keeps only those.
//!
//! With `action = "drop"` and one pattern this is datatrove 0.10.1's
//! `RegexFilter` (`re.search` anywhere in the text; a match drops the document),
//! but in the Rust `regex` dialect, not Python's `re`:
//! - no look-around (`(?=…)`, `(?<!…)`) and no backreferences (`\1`): such
//!   patterns are config errors here;
//! - `$` matches only at the very end (Python's also before a final `\n`);
//!   `\z` is Rust's end of text where Python writes `\Z`;
//! - in `(?m)` mode `^`/`$` see only `\n` as a line end, so with CRLF text
//!   `(?m)foo$` does not match `foo\r\n` unless the pattern adds the `R` flag
//!   (`(?mR)`), as Python's does not either;
//! - `\w`, `\d`, `\s`, `\b` and `(?i)` are Unicode-aware in both, with small
//!   differences in the tables (Unicode versions, `\d` and `\s` edge characters).
//!
//! Matching never backtracks, so time is linear in the text. Documents without
//! a URL never match a `field = "url"` pattern. This module must not rewrite text.

use ::regex::RegexSet;
use serde::{Deserialize, Serialize};

use super::doc::{Doc, DocFilter};
use super::{Stage, StageConfigure, StageContext};
use crate::error::Error;

/// What a match does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Drop documents that match (`regex_match`).
    Drop,
    /// Keep only documents that match (`regex_no_match` for the others).
    Keep,
}

/// Which part of the document the patterns see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Text,
    Url,
}

crate::config_struct! {
    /// Drops documents matching any of a list of regular expressions (Rust
    /// `regex` syntax), or keeps only those (datatrove's `RegexFilter`).
    pub struct RegexConfig {
        /// Patterns in Rust `regex` syntax; a document matches when any of them
        /// matches anywhere in the field. Flags go inline, e.g. `(?i)lorem ipsum`.
        pub patterns: Vec<String>,
        /// `"drop"` drops matching documents (`regex_match`); `"keep"` keeps only
        /// them (`regex_no_match` for the others).
        pub action: Action = Action::Drop,
        /// `"text"` or `"url"`: what the patterns are matched against.
        pub field: Field = Field::Text,
    }
}

const REASONS: &[&str] = &["regex_match", "regex_no_match"];

impl RegexConfig {
    /// The compiled patterns, or one `(field, message)` per invalid pattern.
    fn compile(&self) -> Result<RegexSet, Vec<(String, String)>> {
        let mut problems = Vec::new();
        if self.patterns.is_empty() {
            problems.push(("patterns".into(), "must hold at least one pattern".into()));
        }
        for (i, p) in self.patterns.iter().enumerate() {
            if let Err(e) = ::regex::Regex::new(p) {
                problems.push((format!("patterns[{i}]"), format!("{p:?} is invalid: {e}")));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        RegexSet::new(&self.patterns).map_err(|e| {
            vec![(
                "patterns".into(),
                format!("cannot combine the patterns: {e}"),
            )]
        })
    }
}

impl StageConfigure for RegexConfig {
    const KIND: &'static str = "regex";

    fn check(&self) -> Vec<(String, String)> {
        self.compile().err().unwrap_or_default()
    }

    fn build(&self, ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        let set = self.compile().map_err(|problems| {
            let (field, msg) = &problems[0];
            ctx.invalid(field, msg)
        })?;
        Ok(Box::new(Regex {
            set,
            action: self.action,
            field: self.field,
        }))
    }
}

/// The runtime of `regex`.
pub struct Regex {
    set: RegexSet,
    action: Action,
    field: Field,
}

impl Stage for Regex {
    fn reasons(&self) -> &'static [&'static str] {
        REASONS
    }

    fn doc_filter(&self) -> Option<&dyn DocFilter> {
        Some(self)
    }
}

impl DocFilter for Regex {
    fn judge(&self, doc: &mut Doc<'_>) -> u8 {
        let haystack = match self.field {
            Field::Text => Some(doc.text()),
            Field::Url => doc.url(),
        };
        let matched = haystack.is_some_and(|h| self.set.is_match(h));
        match (self.action, matched) {
            (Action::Drop, true) => 1,
            (Action::Keep, false) => 2,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::doc;

    fn config(toml_text: &str) -> RegexConfig {
        toml::from_str(toml_text).unwrap()
    }

    fn stage(toml_text: &str) -> Regex {
        let c = config(toml_text);
        assert_eq!(c.check(), vec![], "{toml_text}");
        Regex {
            set: c.compile().unwrap(),
            action: c.action,
            field: c.field,
        }
    }

    fn judge(r: &Regex, text: &str, url: Option<&str>) -> &'static str {
        match doc::judge_text(r, text, url).0 {
            0 => "keep",
            k => REASONS[k as usize - 1],
        }
    }

    #[test]
    fn drop_is_datatrove_regex_filter() {
        let r = stage(r#"patterns = ["lorem ipsum"]"#);
        assert_eq!(judge(&r, "a lorem ipsum b", None), "regex_match");
        assert_eq!(judge(&r, "Lorem Ipsum", None), "keep");
        assert_eq!(judge(&r, "", None), "keep");
        let r = stage(r#"patterns = ["(?i)lorem ipsum", "^\\s*$"]"#);
        assert_eq!(judge(&r, "LOREM IPSUM", None), "regex_match");
        assert_eq!(
            judge(&r, "", None),
            "regex_match",
            "empty text matches ^\\s*$"
        );
        assert_eq!(judge(&r, "  \r\n ", None), "regex_match");
        assert_eq!(judge(&r, "text", None), "keep");
    }

    #[test]
    fn keep_keeps_only_matches() {
        let r = stage("patterns = ['\\d{4}']\naction = 'keep'");
        assert_eq!(judge(&r, "in 1999", None), "keep");
        assert_eq!(judge(&r, "no year", None), "regex_no_match");
        assert_eq!(judge(&r, "", None), "regex_no_match");
    }

    #[test]
    fn crlf_lines_need_the_r_flag() {
        let text = "first line\r\nlast word\r\nmore";
        let plain = stage("patterns = ['(?m)word$']");
        assert_eq!(judge(&plain, text, None), "keep", "$ does not see \\r\\n");
        let crlf = stage("patterns = ['(?mR)word$']");
        assert_eq!(judge(&crlf, text, None), "regex_match");
        let lf = stage("patterns = ['(?m)^last']");
        assert_eq!(judge(&lf, text, None), "regex_match");
    }

    #[test]
    fn non_latin_text_is_unicode_aware() {
        let r = stage(r#"patterns = ["\\bпривет\\b", "(?i)ΣΟΦΙΑ", "^\\d+$"]"#);
        assert_eq!(judge(&r, "скажи привет миру", None), "regex_match");
        assert_eq!(judge(&r, "приветствую", None), "keep", "\\b is Unicode");
        assert_eq!(judge(&r, "σοφια", None), "regex_match");
        assert_eq!(
            judge(&r, "٣٤٥", None),
            "regex_match",
            "\\d holds Arabic-Indic digits"
        );
        assert_eq!(judge(&r, "日本語のテキスト", None), "keep");
    }

    #[test]
    fn url_field_matches_the_url_and_missing_urls_never_match() {
        let drop = stage("patterns = ['^https?://[^/]*\\.example\\.com/']\nfield = 'url'");
        assert_eq!(
            judge(&drop, "t", Some("https://a.example.com/x")),
            "regex_match"
        );
        assert_eq!(judge(&drop, "https://a.example.com/x", None), "keep");
        assert_eq!(judge(&drop, "t", Some("")), "keep");
        let keep = stage("patterns = ['\\.org/']\nfield = 'url'\naction = 'keep'");
        assert_eq!(judge(&keep, "t", Some("https://x.org/")), "keep");
        assert_eq!(judge(&keep, "t", None), "regex_no_match");
    }

    #[test]
    fn invalid_patterns_are_config_errors_naming_them() {
        let c = config(r#"patterns = ["ok", "(?<=a)b", "a(b", "(x)\\1"]"#);
        let problems = c.check();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["patterns[1]", "patterns[2]", "patterns[3]"]);
        assert!(
            problems[0].1.starts_with("\"(?<=a)b\" is invalid: "),
            "{problems:?}"
        );
        assert!(problems[1].1.contains("unclosed group"), "{problems:?}");
        assert!(problems[2].1.contains("backreferences"), "{problems:?}");
        let empty = config("patterns = []").check();
        assert_eq!(empty[0].0, "patterns");
        let err = toml::from_str::<RegexConfig>("patterns = ['a']\naction = 'delete'").unwrap_err();
        assert!(err.message().contains("unknown variant `delete`"), "{err}");
    }

    #[test]
    fn build_reports_the_first_invalid_pattern() {
        let ctx = StageContext {
            index: 2,
            stores: &crate::store::Stores::new(),
        };
        let err = config(r#"patterns = ["a(b"]"#).build(&ctx).err().unwrap();
        assert!(
            err.to_string()
                .starts_with("stage[2].patterns[0]: \"a(b\" is invalid"),
            "{err}"
        );
        assert!(config("patterns = ['a']").build(&ctx).is_ok());
    }
}

//! `url_filter`: drops documents by their URL, with the rules, order and reason
//! strings of datatrove 0.10.1's `URLFilter`.
//!
//! In order, a document is dropped when
//! 1. its registered domain (`bbc.co.uk` for `news.bbc.co.uk`) is a banned
//!    domain (`domain`), or its whole host is (`subdomain`);
//! 2. its URL, exactly as given, is a banned URL (`url`);
//! 3. one of its words (maximal runs of ASCII letters and digits, compared
//!    case-sensitively) is a banned word (`hard_blacklisted`);
//! 4. at least `soft_word_threshold` distinct soft-banned words are among its
//!    words (`soft_blacklisted`);
//! 5. a banned subword occurs anywhere in the URL reduced to lowercased ASCII
//!    letters and digits (`blacklisted_subword`).
//!
//! Word lists are normalised as datatrove does (ASCII letters and digits only,
//! lowercased: `via-gra` is `viagra`), domain and URL lists only trimmed; lines
//! starting with `#` are comments. datatrove's default lists are not shipped
//! and never downloaded: point the `*_files` fields at datatrove's
//! `assets/banned_words.txt`, `soft_banned_words.txt`, `banned_subwords.txt`,
//! and at the `domains` and `urls` files of its `url_filterblacklistsv0_3_0.tar.gz`
//! (the UT1 blocklist) once extracted. That reproduces `use_integrated_lists`.
//!
//! Domains are found as tldextract does by default (ICANN suffixes only, so
//! `blog.blogspot.com` is under `blogspot.com`; host case kept, so `BADSITE.com`
//! does not match `badsite.com`; no suffix, as for IP addresses and unknown
//! TLDs, means no domain rule applies), but from the Public Suffix List compiled
//! into the `psl` crate rather than tldextract's bundled snapshot: suffixes added
//! to or removed from the list between the two snapshots give different
//! registered domains.
//!
//! Deliberate differences from datatrove: a document without a URL (or with an
//! empty one) is dropped as `missing_url`, where datatrove stops the whole run
//! on an assertion; blank list lines are ignored, where datatrove adds an empty
//! word or domain that matches every URL ending in `/` or every IP host.
//!
//! Lists are loaded once at build: domains and URLs as 64-bit hashes (the 4.5 M
//! UT1 domains take ~70 MB; a false match has odds of about 1 in 4·10¹²), words
//! in one map, subwords in one Aho-Corasick automaton. Judging reuses per-thread
//! buffers and does not allocate. This module must not fetch anything.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use aho_corasick::AhoCorasick;
use psl::{List, Psl, Type};

use super::doc::{Doc, DocFilter};
use super::{Stage, StageConfigure, StageContext};
use crate::error::Error;

crate::config_struct! {
    /// Drops documents whose URL is on a domain or URL blocklist, or holds banned
    /// words or subwords (datatrove's `URLFilter`).
    pub struct UrlFilterConfig {
        /// Files (paths or URIs) of banned domains, one per line: a document is
        /// dropped when its registered domain (`domain`) or its host (`subdomain`)
        /// is listed. For datatrove's defaults, the extracted UT1 `domains` file.
        pub banned_domains_files: Vec<String> = Vec::new(),
        /// Banned domains given inline, added to those of the files.
        pub banned_domains: Vec<String> = Vec::new(),
        /// Files of banned URLs, one per line, compared with the whole URL as given
        /// (`url`). For datatrove's defaults, the extracted UT1 `urls` file.
        pub banned_urls_files: Vec<String> = Vec::new(),
        /// Banned URLs given inline.
        pub banned_urls: Vec<String> = Vec::new(),
        /// Files of banned words: one of the URL's words is enough
        /// (`hard_blacklisted`). datatrove's: `assets/banned_words.txt`.
        pub banned_words_files: Vec<String> = Vec::new(),
        /// Banned words given inline.
        pub banned_words: Vec<String> = Vec::new(),
        /// Files of soft-banned words: `soft_word_threshold` distinct ones among the
        /// URL's words drop it (`soft_blacklisted`). datatrove's:
        /// `assets/soft_banned_words.txt`.
        pub soft_banned_words_files: Vec<String> = Vec::new(),
        /// Soft-banned words given inline.
        pub soft_banned_words: Vec<String> = Vec::new(),
        /// Files of banned subwords, matched anywhere in the URL's lowercased
        /// letters and digits (`blacklisted_subword`). datatrove's:
        /// `assets/banned_subwords.txt`.
        pub banned_subwords_files: Vec<String> = Vec::new(),
        /// Banned subwords given inline.
        pub banned_subwords: Vec<String> = Vec::new(),
        /// How many distinct soft-banned words drop a URL.
        pub soft_word_threshold: usize = 2,
    }
}

/// Why documents get dropped; datatrove's reasons, then ours.
const REASONS: &[&str] = &[
    "domain",
    "subdomain",
    "url",
    "hard_blacklisted",
    "soft_blacklisted",
    "blacklisted_subword",
    "missing_url",
];
const DOMAIN: u8 = 1;
const SUBDOMAIN: u8 = 2;
const URL: u8 = 3;
const HARD: u8 = 4;
const SOFT: u8 = 5;
const SUBWORD: u8 = 6;
const MISSING: u8 = 7;

/// The lists of one filter, normalised; domains and URLs already hashed, so
/// the 4.5 M UT1 domains are never held as strings.
#[derive(Default)]
struct Lists {
    domains: HashedSet,
    urls: HashedSet,
    words: Vec<String>,
    soft_words: Vec<String>,
    subwords: Vec<String>,
}

/// Which list an entry belongs to.
#[derive(Clone, Copy)]
enum Kind {
    Domains,
    Urls,
    Words,
    SoftWords,
    Subwords,
}

impl Kind {
    /// An entry as datatrove normalises it: domains and URLs trimmed, words
    /// reduced to lowercased ASCII letters and digits; `None` for comments and
    /// entries left empty.
    fn normalise(self, entry: &str) -> Option<Cow<'_, str>> {
        if entry.starts_with('#') {
            return None;
        }
        let s: Cow<'_, str> = match self {
            Kind::Domains | Kind::Urls => py_strip(entry).into(),
            Kind::Words | Kind::SoftWords | Kind::Subwords => entry
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect::<String>()
                .into(),
        };
        (!s.is_empty()).then_some(s)
    }
}

impl Lists {
    fn add(&mut self, kind: Kind, entry: &str) {
        let Some(e) = kind.normalise(entry) else {
            return;
        };
        match kind {
            Kind::Domains => _ = self.domains.insert(hash(&e)),
            Kind::Urls => _ = self.urls.insert(hash(&e)),
            Kind::Words => self.words.push(e.into_owned()),
            Kind::SoftWords => self.soft_words.push(e.into_owned()),
            Kind::Subwords => self.subwords.push(e.into_owned()),
        }
    }
}

impl UrlFilterConfig {
    /// The inline lists and the field each comes from.
    fn inline(&self) -> [(&'static str, &[String], Kind); 5] {
        [
            ("banned_domains", &self.banned_domains, Kind::Domains),
            ("banned_urls", &self.banned_urls, Kind::Urls),
            ("banned_words", &self.banned_words, Kind::Words),
            (
                "soft_banned_words",
                &self.soft_banned_words,
                Kind::SoftWords,
            ),
            ("banned_subwords", &self.banned_subwords, Kind::Subwords),
        ]
    }

    /// The file lists and the field each comes from.
    fn files(&self) -> [(&'static str, &[String], Kind); 5] {
        [
            (
                "banned_domains_files",
                &self.banned_domains_files,
                Kind::Domains,
            ),
            ("banned_urls_files", &self.banned_urls_files, Kind::Urls),
            ("banned_words_files", &self.banned_words_files, Kind::Words),
            (
                "soft_banned_words_files",
                &self.soft_banned_words_files,
                Kind::SoftWords,
            ),
            (
                "banned_subwords_files",
                &self.banned_subwords_files,
                Kind::Subwords,
            ),
        ]
    }

    /// Reads every list file and merges them with the inline lists.
    pub fn load(&self, ctx: &StageContext) -> Result<UrlFilter, Error> {
        let mut lists = Lists::default();
        for (_, entries, kind) in self.inline() {
            for e in entries {
                lists.add(kind, e);
            }
        }
        for (field, uris, kind) in self.files() {
            for uri in uris {
                let text = ctx.read_text(field, uri)?;
                for line in py_lines(&text) {
                    lists.add(kind, line);
                }
            }
        }
        UrlFilter::new(lists, self.soft_word_threshold)
            .map_err(|e| ctx.invalid("banned_subwords_files", e))
    }
}

impl StageConfigure for UrlFilterConfig {
    const KIND: &'static str = "url_filter";

    fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.soft_word_threshold == 0 {
            problems.push((
                "soft_word_threshold".into(),
                "must be at least 1 (0 would drop every document)".into(),
            ));
        }
        for (field, entries, kind) in self.inline() {
            for (i, e) in entries.iter().enumerate() {
                if kind.normalise(e).is_none() {
                    problems.push((
                        format!("{field}[{i}]"),
                        format!("{e:?} is empty, a comment, or has no ASCII letter or digit"),
                    ));
                }
            }
        }
        let empty = self
            .inline()
            .iter()
            .chain(self.files().iter())
            .all(|(_, l, _)| l.is_empty());
        if empty {
            problems.push((
                "banned_domains_files".into(),
                "no list given: set at least one list or list file".into(),
            ));
        }
        problems
    }

    fn build(&self, ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(self.load(ctx)?))
    }
}

/// A hasher for keys that are already 64-bit hashes.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, h: u64) {
        self.0 = h;
    }
}

type HashedSet = HashSet<u64, BuildHasherDefault<Prehashed>>;

fn hash(s: &str) -> u64 {
    twox_hash::XxHash64::oneshot(0, s.as_bytes())
}

/// What a URL word is.
#[derive(Clone, Copy, Default)]
struct Word {
    hard: bool,
    /// Index among the soft-banned words.
    soft: Option<u32>,
}

/// The runtime of `url_filter`.
pub struct UrlFilter {
    domains: HashedSet,
    urls: HashedSet,
    words: HashMap<Box<str>, Word>,
    subwords: Option<AhoCorasick>,
    soft_word_threshold: usize,
}

/// Per-thread buffers, so judging does not allocate.
#[derive(Default)]
struct Scratch {
    /// The host with ideographic and full-width dots made ASCII.
    host: String,
    /// One lowercased label.
    label: String,
    /// The URL's lowercased ASCII letters and digits.
    letters: Vec<u8>,
    /// Soft-banned words seen in the URL.
    soft: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

impl UrlFilter {
    /// Builds the filter from normalised lists.
    fn new(lists: Lists, soft_word_threshold: usize) -> Result<Self, String> {
        let mut words: HashMap<Box<str>, Word> = HashMap::new();
        for w in &lists.words {
            words.entry(w.as_str().into()).or_default().hard = true;
        }
        let mut soft = 0u32;
        for w in &lists.soft_words {
            let e = words.entry(w.as_str().into()).or_default();
            if e.soft.is_none() {
                e.soft = Some(soft);
                soft += 1;
            }
        }
        let subwords = if lists.subwords.is_empty() {
            None
        } else {
            let ac = AhoCorasick::new(&lists.subwords)
                .map_err(|e| format!("cannot build the subword automaton: {e}"))?;
            Some(ac)
        };
        Ok(UrlFilter {
            domains: lists.domains,
            urls: lists.urls,
            words,
            subwords,
            soft_word_threshold,
        })
    }

    fn judge_url(&self, url: &str, s: &mut Scratch) -> u8 {
        if !self.domains.is_empty()
            && let Some(d) = domains_of(url, s)
        {
            if self.domains.contains(&hash(d.registered)) {
                return DOMAIN;
            }
            if self.domains.contains(&hash(d.fqdn)) {
                return SUBDOMAIN;
            }
        }
        if !self.urls.is_empty() && self.urls.contains(&hash(url)) {
            return URL;
        }
        if !self.words.is_empty() {
            s.soft.clear();
            let words = url
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty());
            for w in words {
                let Some(kind) = self.words.get(w) else {
                    continue;
                };
                if kind.hard {
                    return HARD;
                }
                if let Some(k) = kind.soft
                    && !s.soft.contains(&k)
                {
                    s.soft.push(k);
                }
            }
            if s.soft.len() >= self.soft_word_threshold {
                return SOFT;
            }
        }
        if let Some(ac) = &self.subwords {
            s.letters.clear();
            s.letters.extend(
                url.bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|b| b.to_ascii_lowercase()),
            );
            if ac.is_match(&s.letters[..]) {
                return SUBWORD;
            }
        }
        0
    }
}

impl Stage for UrlFilter {
    fn reasons(&self) -> &'static [&'static str] {
        REASONS
    }

    fn doc_filter(&self) -> Option<&dyn DocFilter> {
        Some(self)
    }
}

impl DocFilter for UrlFilter {
    fn judge(&self, doc: &mut Doc<'_>) -> u8 {
        match doc.url() {
            Some(url) if !url.is_empty() => {
                SCRATCH.with(|s| self.judge_url(url, &mut s.borrow_mut()))
            }
            _ => MISSING,
        }
    }
}

/// tldextract's `registered_domain` and `fqdn` of a URL, when both are set.
struct Domains<'a> {
    registered: &'a str,
    fqdn: &'a str,
}

/// The host of a URL as tldextract's `lenient_netloc` finds it: after any
/// scheme, before any path, query or fragment, after any user info, before
/// any port; trimmed, without trailing dots.
fn host_of(url: &str) -> &str {
    let rest = match url.find("//") {
        None => url,
        Some(0) => &url[2..],
        Some(i) => {
            let scheme = &url[..i - 1];
            let is_scheme = url.as_bytes()[i - 1] == b':'
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
            if i < 2 || !is_scheme {
                url
            } else {
                &url[i + 2..]
            }
        }
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let after_user = authority.rsplit('@').next().unwrap_or("");
    if after_user.starts_with('[')
        && let Some(end) = after_user.find(']')
    {
        return &after_user[..=end];
    }
    let host = py_strip(after_user.split(':').next().unwrap_or(""));
    host.trim_end_matches(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
}

/// The registered domain and host of `url`, in `s.host`; `None` when the host
/// has no ICANN public suffix or nothing before it.
fn domains_of<'s>(url: &str, s: &'s mut Scratch) -> Option<Domains<'s>> {
    let host = host_of(url);
    s.host.clear();
    for c in host.chars() {
        let c = if matches!(c, '\u{3002}' | '\u{ff0e}' | '\u{ff61}') {
            '.'
        } else {
            c
        };
        s.host.push(c);
    }
    let host = s.host.as_str();
    let labels = host.split('.').count();
    let suffix = icann_suffix_labels(host, &mut s.label)?;
    if suffix >= labels {
        return None;
    }
    // Byte offsets of the domain label and of what precedes it.
    let mut dots = host.rmatch_indices('.').map(|(i, _)| i);
    let domain_end = dots.nth(suffix - 1)?;
    let domain_start = dots.next().map_or(0, |i| i + 1);
    if domain_start == domain_end {
        return None;
    }
    let registered = &host[domain_start..];
    // tldextract joins the non-empty parts: a lone empty label before the
    // domain (a leading dot) vanishes.
    let fqdn = if domain_start <= 1 { registered } else { host };
    Some(Domains { registered, fqdn })
}

/// How many labels at the end of `host` form its longest ICANN public suffix
/// (tldextract ignores the PSL's private section by default). `lower` is a
/// buffer for the lowercased host, which the list is matched against.
fn icann_suffix_labels(host: &str, lower: &mut String) -> Option<usize> {
    lower.clear();
    for c in host.chars() {
        if c.is_ascii() {
            lower.push(c.to_ascii_lowercase());
        } else {
            lower.extend(c.to_lowercase());
        }
    }
    let mut take = lower.split('.').count();
    loop {
        let info = List.find(lower.rsplit('.').take(take).map(str::as_bytes));
        let suffix = lower.get(lower.len().checked_sub(info.len)?..)?;
        let n = suffix.matches('.').count() + 1;
        match info.typ {
            Some(Type::Icann) => return Some(n),
            // The longest ICANN suffix is shorter than this private one.
            Some(Type::Private) if n > 1 => take = n - 1,
            _ => return None,
        }
    }
}

/// Python's `str.strip()`: Unicode whitespace and the ASCII separators
/// U+001C..U+001F.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The lines of a text file as Python's universal newlines read them
/// (`\n`, `\r\n` and `\r` end a line), without their ends.
fn py_lines(text: &str) -> impl Iterator<Item = &str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::doc;

    fn list(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    /// A filter from inline lists, through the config (so normalised as files are).
    fn filter(toml_text: &str) -> UrlFilter {
        let c: UrlFilterConfig = toml::from_str(toml_text).unwrap();
        assert_eq!(c.check(), vec![], "{toml_text}");
        let ctx = StageContext {
            index: 0,
            stores: &crate::store::Stores::new(),
        };
        c.load(&ctx).unwrap()
    }

    fn judge(f: &UrlFilter, url: Option<&str>) -> &'static str {
        match doc::judge_text(f, "some text", url).0 {
            0 => "keep",
            k => REASONS[k as usize - 1],
        }
    }

    fn domains() -> UrlFilter {
        filter(
            "banned_domains = ['badsite.com', 'sub.example.org', 'blogspot.com', 'пример.рф', 'xn--80ak6aa92e.com']",
        )
    }

    #[test]
    fn no_url_or_empty_url_is_dropped_as_missing() {
        let f = domains();
        assert_eq!(judge(&f, None), "missing_url");
        assert_eq!(judge(&f, Some("")), "missing_url");
        assert_eq!(judge(&f, Some(" ")), "keep");
    }

    #[test]
    fn banned_domains_and_their_subdomains() {
        let f = domains();
        for url in [
            "http://badsite.com/",
            "https://www.badsite.com/page?x=1",
            "http://a.b.c.badsite.com/",
            "http://badsite.com:8080/a",
            "http://user:pass@badsite.com/",
            "http://user@evil.com@badsite.com/",
            "http://badsite.com.",
            "http://badsite\u{3002}com/",
            "badsite.com/no-scheme",
            "//badsite.com/x",
            "http://.badsite.com/",
            "http://badsite.com?q=1",
            "http://myblog.blogspot.com/post.html",
            "http://пример.рф/",
            "http://www.xn--80ak6aa92e.com/",
        ] {
            assert_eq!(judge(&f, Some(url)), "domain", "{url}");
        }
        assert_eq!(judge(&f, Some("https://sub.example.org/x")), "subdomain");
        // Only the exact host of a listed subdomain, as in datatrove.
        assert_eq!(judge(&f, Some("https://deeper.sub.example.org/x")), "keep");
        assert_eq!(judge(&f, Some("https://example.org/")), "keep");
        // Host case is kept, as tldextract keeps it.
        assert_eq!(judge(&f, Some("http://BADSITE.com/")), "keep");
        // The Cyrillic name and its punycode are different strings.
        assert_eq!(judge(&f, Some("http://xn--e1afmkfd.xn--p1ai/")), "keep");
        assert_eq!(judge(&f, Some("http://xn--80ak6aa92e.com/")), "domain");
        // No public suffix: IP addresses, unknown TLDs, bracketed IPv6.
        let ip =
            filter("banned_domains = ['192.168.0.1', 'localhost', 'host.invalidtld', '[::1]']");
        for url in [
            "http://192.168.0.1/",
            "http://localhost/",
            "http://host.invalidtld/",
            "http://[::1]:80/",
        ] {
            assert_eq!(judge(&ip, Some(url)), "keep", "{url}");
        }
    }

    #[test]
    fn registered_domains_follow_the_icann_suffixes() {
        let mut buf = String::new();
        let mut s = Scratch::default();
        for (url, registered, fqdn) in [
            ("http://news.bbc.co.uk/x", "bbc.co.uk", "news.bbc.co.uk"),
            (
                "http://a.b.blogspot.co.uk/",
                "blogspot.co.uk",
                "a.b.blogspot.co.uk",
            ),
            (
                "http://bucket.s3.amazonaws.com/k",
                "amazonaws.com",
                "bucket.s3.amazonaws.com",
            ),
            ("http://WWW.Example.COM/", "Example.COM", "WWW.Example.COM"),
            ("http://www.例子.中国/", "例子.中国", "www.例子.中国"),
            (
                "http://www.xn--fsqu00a.xn--fiqs8s/",
                "xn--fsqu00a.xn--fiqs8s",
                "www.xn--fsqu00a.xn--fiqs8s",
            ),
            ("http://foo.kawasaki.jp/", "", ""),
            (
                "http://www.city.kawasaki.jp/",
                "city.kawasaki.jp",
                "www.city.kawasaki.jp",
            ),
            ("http://co.uk/", "", ""),
            ("http://.example.com/", "example.com", "example.com"),
        ] {
            let got =
                domains_of(url, &mut s).map(|d| (d.registered.to_string(), d.fqdn.to_string()));
            let want = (!registered.is_empty()).then(|| (registered.to_string(), fqdn.to_string()));
            assert_eq!(got, want, "{url}");
        }
        assert_eq!(icann_suffix_labels("a.b.c.d", &mut buf), None);
    }

    #[test]
    fn hosts_are_found_as_tldextract_finds_them() {
        for (url, host) in [
            ("http://user:pw@Host.com:80/p?q#f", "Host.com"),
            ("https://h.com?x=/y", "h.com"),
            ("h.com/path", "h.com"),
            ("//h.com/path", "h.com"),
            ("ftp://h.com", "h.com"),
            ("h t t p://h.com/", "h t t p"),
            ("mailto:a@h.com", "h.com"),
            ("http://[::1]:8080/", "[::1]"),
            ("http:// h.com /", "h.com"),
            ("http://h.com.\u{ff0e}/", "h.com"),
        ] {
            assert_eq!(host_of(url), host, "{url}");
        }
    }

    #[test]
    fn banned_urls_are_exact_strings() {
        let f = filter("banned_urls = ['http://www.example.com/banned-page', '  spaced.org/x  ']");
        assert_eq!(judge(&f, Some("http://www.example.com/banned-page")), "url");
        assert_eq!(
            judge(&f, Some("http://www.example.com/banned-page/")),
            "keep"
        );
        assert_eq!(
            judge(&f, Some("HTTP://www.example.com/banned-page")),
            "keep"
        );
        assert_eq!(judge(&f, Some("spaced.org/x")), "url");
    }

    #[test]
    fn hard_words_match_whole_case_sensitive_url_words() {
        let f = filter("banned_words = ['porn', 'Casino', 'via-gra']");
        for url in [
            "http://example.com/porn",
            "http://porn.example.com/",
            "http://example.com/?q=casino",
            "http://x.com/viagra",
            "http://x.com/caf\u{e9}porn",
            "http://x.com/#porn",
        ] {
            assert_eq!(judge(&f, Some(url)), "hard_blacklisted", "{url}");
        }
        for url in [
            "http://example.com/PORN",
            "http://example.com/pornography",
            "http://x.com/Casino",
            "http://x.com/via-gra",
            "http://x.com/%70orn",
        ] {
            assert_eq!(judge(&f, Some(url)), "keep", "{url}");
        }
    }

    #[test]
    fn soft_words_count_distinct_words_up_to_the_threshold() {
        let f = filter("soft_banned_words = ['sex', 'free', 'hot', 'video']");
        assert_eq!(judge(&f, Some("http://example.com/sex")), "keep");
        assert_eq!(judge(&f, Some("http://example.com/sex/sex/sex")), "keep");
        assert_eq!(
            judge(&f, Some("http://example.com/free-sex")),
            "soft_blacklisted"
        );
        assert_eq!(
            judge(&f, Some("http://free.example.com/video")),
            "soft_blacklisted"
        );
        assert_eq!(judge(&f, Some("http://example.com/freesex")), "keep");
        assert_eq!(judge(&f, Some("http://example.com/FREE-SEX")), "keep");
        let three = filter("soft_banned_words = ['sex', 'free', 'hot']\nsoft_word_threshold = 3");
        assert_eq!(judge(&three, Some("http://x.com/free/sex")), "keep");
        assert_eq!(
            judge(&three, Some("http://x.com/free/sex/hot")),
            "soft_blacklisted"
        );
    }

    #[test]
    fn subwords_match_inside_words_of_the_normalised_url() {
        let f = filter("banned_subwords = ['adult content', 'escort', 'ü-nicode']");
        for url in [
            "http://x.com/adult-content",
            "http://x.com/ADULT_CONTENT",
            "http://adultcontent.x.com/",
            "http://x.com/escorts",
            "http://x.com/e-s-c-o-r-t",
            "http://x.com/u-nicode",
            "http://x.com/ü-nicode",
        ] {
            assert_eq!(judge(&f, Some(url)), "blacklisted_subword", "{url}");
        }
        assert_eq!(judge(&f, Some("http://x.com/escor")), "keep");
    }

    #[test]
    fn rules_apply_in_datatrove_order() {
        let f = filter(
            "banned_domains = ['badsite.com']\nbanned_words = ['porn']\n\
             soft_banned_words = ['free', 'sex']\nbanned_subwords = ['escort']",
        );
        assert_eq!(
            judge(&f, Some("http://badsite.com/porn/free/sex/escort")),
            "domain"
        );
        assert_eq!(
            judge(&f, Some("http://x.com/free/sex/porn")),
            "hard_blacklisted"
        );
        assert_eq!(
            judge(&f, Some("http://x.com/free/sex/escort")),
            "soft_blacklisted"
        );
        assert_eq!(
            judge(&f, Some("http://x.com/free/escort")),
            "blacklisted_subword"
        );
        assert_eq!(judge(&f, Some("http://x.com/日本語/ページ")), "keep");
    }

    #[test]
    fn list_files_are_read_like_python_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let words = dir.path().join("words.txt");
        std::fs::write(&words, "# comment\r\nPorn\r\n\r\n#casino\rxxx\n--\n").unwrap();
        let c: UrlFilterConfig = toml::from_str(&format!(
            "banned_words_files = [{:?}]",
            words.to_str().unwrap()
        ))
        .unwrap();
        let ctx = StageContext {
            index: 3,
            stores: &crate::store::Stores::new(),
        };
        let f = c.load(&ctx).unwrap();
        assert_eq!(judge(&f, Some("http://x.com/porn")), "hard_blacklisted");
        assert_eq!(judge(&f, Some("http://x.com/xxx")), "hard_blacklisted");
        assert_eq!(judge(&f, Some("http://x.com/casino")), "keep");
        // Blank lines add no empty word (datatrove's would match this URL).
        assert_eq!(judge(&f, Some("http://x.com/")), "keep");
        assert_eq!(
            py_lines("a\r\nb\rc\n").collect::<Vec<_>>(),
            list(&["a", "b", "c"])
        );
    }

    #[test]
    fn missing_or_bad_list_files_are_config_errors_naming_them() {
        let ctx = StageContext {
            index: 1,
            stores: &crate::store::Stores::new(),
        };
        let c: UrlFilterConfig =
            toml::from_str("banned_domains_files = ['/nonexistent/domains']").unwrap();
        let err = c.load(&ctx).err().unwrap().to_string();
        assert!(
            err.starts_with("stage[1].banned_domains_files: ")
                && err.contains("/nonexistent/domains"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin.txt");
        std::fs::write(&bin, b"ok\n\xff\xfe\n").unwrap();
        let c: UrlFilterConfig = toml::from_str(&format!(
            "banned_words_files = [{:?}]",
            bin.to_str().unwrap()
        ))
        .unwrap();
        let err = c.load(&ctx).err().unwrap().to_string();
        assert!(err.contains("bin.txt: not UTF-8 text"), "{err}");
    }

    #[test]
    fn check_rejects_empty_entries_zero_threshold_and_no_lists() {
        let c: UrlFilterConfig =
            toml::from_str("banned_words = ['ok', '--', '#c']\nsoft_word_threshold = 0").unwrap();
        let fields: Vec<String> = c.check().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            ["soft_word_threshold", "banned_words[1]", "banned_words[2]"]
        );
        let none: UrlFilterConfig = crate::fields::defaults();
        assert_eq!(
            none.check()[0].1,
            "no list given: set at least one list or list file"
        );
    }

    /// The golden decisions of datatrove's `URLFilter`
    /// (tests/parity/url_filter_reference.py): its first line holds the small
    /// lists, written here to files; `SHARDWISE_URL_REFERENCE` may name a
    /// larger output of the same script.
    fn reference() -> (String, Vec<serde_json::Value>) {
        let path = std::env::var("SHARDWISE_URL_REFERENCE").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/url_filter_reference.jsonl"
            )
            .to_string()
        });
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let rows = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (path, rows)
    }

    /// Decisions of `f` against column `column` of the reference; panics
    /// below `min_agreement`, listing the disagreements.
    fn assert_agrees(f: &UrlFilter, rows: &[serde_json::Value], column: &str, min_agreement: f64) {
        let mut wrong = Vec::new();
        let mut n = 0;
        for row in rows {
            let (Some(url), Some(want)) = (row["url"].as_str(), row[column].as_str()) else {
                continue;
            };
            n += 1;
            let got = judge(f, Some(url));
            if got != want {
                wrong.push(format!("{url:?}: datatrove {want}, shardwise {got}"));
            }
        }
        let agreement = 1.0 - wrong.len() as f64 / n as f64;
        eprintln!("url_filter {column}: {}/{n} agree", n - wrong.len());
        assert!(n > 0, "no rows with {column}");
        assert!(
            agreement >= min_agreement,
            "{} disagreements:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn matches_datatrove_with_small_lists() {
        let (_, rows) = reference();
        let lists = &rows[0]["lists"];
        let dir = tempfile::tempdir().unwrap();
        let mut fields = String::new();
        for (name, field) in [
            ("domains", "banned_domains_files"),
            ("urls", "banned_urls_files"),
            ("words", "banned_words_files"),
            ("soft_words", "soft_banned_words_files"),
            ("subwords", "banned_subwords_files"),
        ] {
            let path = dir.path().join(name);
            let lines: Vec<&str> = lists[name]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            fields.push_str(&format!("{field} = [{:?}]\n", path.to_str().unwrap()));
        }
        assert_agrees(&filter(&fields), &rows[1..], "url_filter", 1.0);
    }

    /// Registered domains and hosts against tldextract's, when the reference
    /// has them (`--domains`; `SHARDWISE_URL_REFERENCE` names such a file).
    #[test]
    fn domains_match_tldextract() {
        let (_, rows) = reference();
        let mut s = Scratch::default();
        let (mut n, mut wrong) = (0, Vec::new());
        for row in &rows[1..] {
            let (Some(url), Some(reg), Some(fqdn)) = (
                row["url"].as_str(),
                row["registered_domain"].as_str(),
                row["fqdn"].as_str(),
            ) else {
                continue;
            };
            n += 1;
            let got = domains_of(url, &mut s).map_or((String::new(), String::new()), |d| {
                (d.registered.to_string(), d.fqdn.to_string())
            });
            if got != (reg.to_string(), fqdn.to_string()) {
                wrong.push(format!(
                    "{url:?}: tldextract ({reg:?}, {fqdn:?}), shardwise {got:?}"
                ));
            }
        }
        if n == 0 {
            eprintln!("reference has no registered_domain column: skipping");
            return;
        }
        eprintln!("domains: {}/{n} agree", n - wrong.len());
        assert!(
            wrong.len() * 200 <= n,
            "{} disagreements:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    /// With `SHARDWISE_DATATROVE_ASSETS` (datatrove's `assets` dir) and
    /// `SHARDWISE_UT1_LISTS` (its UT1 tarball extracted), compares with the
    /// decisions under datatrove's default lists.
    #[test]
    fn matches_datatrove_with_its_default_lists() {
        let (Some(assets), Some(ut1)) = (
            std::env::var_os("SHARDWISE_DATATROVE_ASSETS"),
            std::env::var_os("SHARDWISE_UT1_LISTS"),
        ) else {
            eprintln!("SHARDWISE_DATATROVE_ASSETS or SHARDWISE_UT1_LISTS unset: skipping");
            return;
        };
        let file = |dir: &std::ffi::OsStr, name: &str| {
            let p = std::path::Path::new(dir).join(name);
            assert!(p.is_file(), "{} is missing", p.display());
            format!("[{:?}]", p.to_str().unwrap())
        };
        let f = filter(&format!(
            "banned_domains_files = {}\nbanned_urls_files = {}\nbanned_words_files = {}\n\
             soft_banned_words_files = {}\nbanned_subwords_files = {}",
            file(&ut1, "domains"),
            file(&ut1, "urls"),
            file(&assets, "banned_words.txt"),
            file(&assets, "soft_banned_words.txt"),
            file(&assets, "banned_subwords.txt"),
        ));
        let (path, rows) = reference();
        eprintln!("reference: {path}");
        assert_agrees(&f, &rows[1..], "url_filter_default", 0.995);
    }
}

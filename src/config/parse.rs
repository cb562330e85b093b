//! Parsing with spans: TOML text and `--set` overrides in, a [`Pipeline`] or every
//! problem out.
//!
//! The file is parsed into a spanned table ([`DeTable`]) first. Overrides are
//! grafted onto it with spans past the end of the text, one region per override,
//! so a later error about an overridden value points at `--set path=value`
//! instead of a line of the file. Each section is then deserialized on its own
//! with [`ValueDeserializer`], whose errors carry spans; a span is turned into
//! `line:col` and into the field path (`stage[2].min_words`) by finding the
//! deepest key of the table that holds it. Nothing here does I/O.

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{InputConfig, OutputConfig, Pipeline, StorageConfig, VERSION};
use crate::error::ConfigError;
use crate::stages::{KINDS, StageConfig};

/// The keys a pipeline file may have at the top level.
const TOP_KEYS: &[&str] = &["version", "name", "input", "stage", "output", "storage"];

/// Parses and validates pipeline text. `origin` names the file in messages.
pub fn load(origin: &str, text: &str, overrides: &[String]) -> Result<Pipeline, ConfigError> {
    let mut report = Report::new(origin, text, overrides);
    let mut root = match DeTable::parse(text) {
        Ok(root) => root.into_inner(),
        Err(e) => {
            let pos = e.span().map_or(0, |s| s.start);
            let mut message = e.message().trim().replace('\n', "; ");
            if message == "duplicate key"
                && let Some(key) = e.span().and_then(|s| text.get(s))
            {
                message = format!("duplicate key `{key}`");
            }
            let (line, col) = line_col(text, pos);
            return Err(ConfigError::Invalid(vec![format!(
                "{origin}:{line}:{col}: {message}"
            )]));
        }
    };
    for (i, raw) in overrides.iter().enumerate() {
        let base = report.regions[i].start;
        if let Err((path, message)) = apply_override(&mut root, raw, base) {
            report.error(base, &path, &message);
        }
    }
    let pipeline = report.pipeline(root);
    match pipeline {
        Some(p) if report.errors.is_empty() => Ok(p),
        _ => Err(ConfigError::Invalid(report.finish())),
    }
}

/// Reads a local pipeline file, then [`load`]s it.
pub fn load_file(path: &str, overrides: &[String]) -> Result<Pipeline, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::msg(format!("{path}: cannot read pipeline file: {e}")))?;
    load(path, &text, overrides)
}

/// Collects errors as `(position, line)` while validating one file.
struct Report<'a> {
    origin: &'a str,
    text: &'a str,
    overrides: &'a [String],
    /// The span region of each override: everything past the text, in order.
    regions: Vec<Range<usize>>,
    errors: Vec<(usize, String)>,
}

impl<'a> Report<'a> {
    fn new(origin: &'a str, text: &'a str, overrides: &'a [String]) -> Self {
        let mut next = text.len() + 1;
        let regions = overrides
            .iter()
            .map(|o| {
                let r = next..next + o.len() + 1;
                next = r.end;
                r
            })
            .collect();
        Report {
            origin,
            text,
            overrides,
            regions,
            errors: Vec::new(),
        }
    }

    /// Records `message` about `path` at byte `pos` of the text (or of an override).
    fn error(&mut self, pos: usize, path: &str, message: &str) {
        let origin = self.origin;
        let at = match self.regions.iter().position(|r| r.contains(&pos)) {
            Some(i) => format!("{origin}: --set {}", self.overrides[i]),
            None => {
                let (line, col) = line_col(self.text, pos);
                format!("{origin}:{line}:{col}")
            }
        };
        self.errors.push((pos, format!("{at}: {path}: {message}")));
    }

    /// The lines in file order, overrides last.
    fn finish(mut self) -> Vec<String> {
        self.errors.sort_by_key(|(pos, _)| *pos);
        let mut lines: Vec<String> = self.errors.into_iter().map(|(_, l)| l).collect();
        lines.dedup();
        lines
    }

    /// Validates the whole document; `None` when something is wrong (and reported).
    fn pipeline(&mut self, root: DeTable<'_>) -> Option<Pipeline> {
        for key in root.keys() {
            if !TOP_KEYS.contains(&key.get_ref().as_ref()) {
                self.error(
                    key.span().start,
                    &render_key(key.get_ref()),
                    &format!(
                        "unknown key `{}`; valid keys: {}",
                        key.get_ref(),
                        TOP_KEYS.join(", ")
                    ),
                );
            }
        }
        let version = self.version(root.get("version"));
        let name = match root.get("name") {
            None => Some(None),
            Some(v) => match v.get_ref() {
                DeValue::String(s) => Some(Some(s.to_string())),
                other => {
                    let found = type_name(other);
                    self.error(
                        v.span().start,
                        "name",
                        &format!("expected a string, found {found}"),
                    );
                    None
                }
            },
        };
        let input = self.input(root.get("input"));
        let stages = self.stages(root.get("stage"));
        let output = self.output(root.get("output"));
        let storage = match root.get("storage") {
            None => Some(crate::fields::defaults::<StorageConfig>()),
            Some(v) => {
                let table = self.table(v, "storage", "[storage]")?;
                self.deserialize(table, v.span(), "storage", StorageConfig::deserialize)
            }
        };
        Some(Pipeline {
            version: version?,
            name: name?,
            input: input?,
            stages: stages?,
            output: output?,
            storage: storage?,
        })
    }

    fn version(&mut self, value: Option<&Spanned<DeValue>>) -> Option<i64> {
        let Some(v) = value else {
            self.error(
                0,
                "version",
                &format!("missing field `version`; add `version = {VERSION}` at the top"),
            );
            return None;
        };
        let pos = v.span().start;
        let message = match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(VERSION) => return Some(VERSION),
                _ => format!("unsupported version {i}; this build reads version {VERSION}"),
            },
            other => format!("expected the integer {VERSION}, found {}", type_name(other)),
        };
        self.error(pos, "version", &message);
        None
    }

    fn input(&mut self, value: Option<&Spanned<DeValue>>) -> Option<InputConfig> {
        let (pos, input, table) = match value {
            None => (0, Some(crate::fields::defaults::<InputConfig>()), None),
            Some(v) => {
                let table = self.table(v, "input", "[input]")?;
                let cfg = self.deserialize(table, v.span(), "input", InputConfig::deserialize);
                (v.span().start, cfg, Some(table))
            }
        };
        if let Some(table) = table {
            for key in ["paths", "manifest", "base"] {
                self.check_uris(table, key, "input");
            }
        }
        let input = input?;
        let key_pos = |key: &str| {
            table
                .and_then(|t| t.get_key_value(key))
                .map_or(pos, |(k, _)| k.span().start)
        };
        match (input.paths.is_empty(), &input.manifest) {
            (true, None) => {
                self.error(
                    key_pos("paths"),
                    "input",
                    "no input: set input.paths or input.manifest",
                );
                None
            }
            (false, Some(_)) => {
                self.error(
                    key_pos("manifest"),
                    "input.manifest",
                    "input.paths and input.manifest are both set; use one of them",
                );
                None
            }
            _ => Some(input),
        }
    }

    fn output(&mut self, value: Option<&Spanned<DeValue>>) -> Option<OutputConfig> {
        let Some(v) = value else {
            self.error(
                0,
                "output",
                "missing table [output]; output.uri is required",
            );
            return None;
        };
        let table = self.table(v, "output", "[output]")?;
        let output = self.deserialize(table, v.span(), "output", OutputConfig::deserialize);
        let uris_ok =
            self.check_uris(table, "uri", "output") & self.check_uris(table, "work", "output");
        output.filter(|_| uris_ok)
    }

    fn stages(&mut self, value: Option<&Spanned<DeValue>>) -> Option<Vec<StageConfig>> {
        let Some(v) = value else {
            return Some(Vec::new());
        };
        let DeValue::Array(items) = v.get_ref() else {
            let found = type_name(v.get_ref());
            self.error(
                v.span().start,
                "stage",
                &format!("expected an array of tables ([[stage]]), found {found}"),
            );
            return None;
        };
        let mut stages = Vec::new();
        let mut ok = true;
        // (index, kind, position of the kind value) of every stage with a valid kind.
        let mut kinds: Vec<(usize, &str, usize)> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("stage[{index}]");
            let Some(table) = self.table(item, &path, "[[stage]]") else {
                ok = false;
                continue;
            };
            let Some((kind, pos)) = self.kind(table, item.span(), &path) else {
                ok = false;
                continue;
            };
            kinds.push((index, kind, pos));
            match self.stage(table, item.span(), &path, kind) {
                Some(s) => stages.push(s),
                None => ok = false,
            }
        }
        let tokenizers: Vec<_> = kinds.iter().filter(|(_, k, _)| *k == "tokenize").collect();
        if let Some((first, _, _)) = tokenizers.first() {
            for (index, _, pos) in &tokenizers[1..] {
                self.error(
                    *pos,
                    &format!("stage[{index}].kind"),
                    &format!(
                        "only one tokenize stage is allowed; stage[{first}] already tokenizes"
                    ),
                );
                ok = false;
            }
        }
        for (index, _, pos) in &tokenizers {
            if let Some((next, kind, _)) =
                kinds.iter().find(|(i, k, _)| i > index && *k != "tokenize")
            {
                self.error(
                    *pos,
                    &format!("stage[{index}].kind"),
                    &format!(
                        "tokenize must be the last stage, but stage[{next}] ({kind}) follows it"
                    ),
                );
                ok = false;
            }
        }
        ok.then_some(stages)
    }

    /// The stage's `kind`, if it is a known one (otherwise reported).
    fn kind<'t>(
        &mut self,
        table: &'t DeTable,
        span: Range<usize>,
        path: &str,
    ) -> Option<(&'t str, usize)> {
        let valid = KINDS.join(", ");
        let path = format!("{path}.kind");
        let Some(v) = table.get("kind") else {
            self.error(
                span.start,
                &path,
                &format!("missing field `kind`; valid kinds: {valid}"),
            );
            return None;
        };
        let pos = v.span().start;
        match v.get_ref() {
            DeValue::String(kind) if KINDS.contains(&kind.as_ref()) => Some((kind.as_ref(), pos)),
            DeValue::String(kind) => {
                self.error(
                    pos,
                    &path,
                    &format!("unknown stage kind `{kind}`; valid kinds: {valid}"),
                );
                None
            }
            other => {
                let found = type_name(other);
                self.error(
                    pos,
                    &path,
                    &format!("expected a string, found {found}; valid kinds: {valid}"),
                );
                None
            }
        }
    }

    /// One `[[stage]]` table: its fields, then the stage's own checks.
    fn stage(
        &mut self,
        table: &DeTable,
        span: Range<usize>,
        path: &str,
        kind: &str,
    ) -> Option<StageConfig> {
        let uris_ok = self.check_uris(table, "tokenizer", path);
        let mut fields = table.clone();
        fields.remove("kind");
        let stage = self.deserialize(&fields, span.clone(), path, |d| {
            StageConfig::deserialize_kind(kind, d).unwrap_or_else(|| {
                Err(serde::de::Error::custom(format!(
                    "unknown stage kind `{kind}`"
                )))
            })
        })?;
        let problems = stage.check();
        for (field, message) in &problems {
            let pos = table
                .get_key_value(field.as_str())
                .map_or(span.start, |(k, _)| k.span().start);
            self.error(pos, &format!("{path}.{field}"), message);
        }
        (problems.is_empty() && uris_ok).then_some(stage)
    }

    /// `value` as a table, or an error naming what it should have been.
    fn table<'v, 'i>(
        &mut self,
        value: &'v Spanned<DeValue<'i>>,
        path: &str,
        what: &str,
    ) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                let found = type_name(other);
                self.error(
                    value.span().start,
                    path,
                    &format!("expected a table ({what}), found {found}"),
                );
                None
            }
        }
    }

    /// Deserializes `table` with `de`, reporting every error in it: after an error
    /// the offending key is dropped and deserialization retried, so one pass shows
    /// all bad fields of the table, not just the first.
    fn deserialize<'i, T>(
        &mut self,
        table: &DeTable<'i>,
        span: Range<usize>,
        path: &str,
        de: impl Fn(ValueDeserializer<'i>) -> Result<T, toml::de::Error>,
    ) -> Option<T> {
        let mut table = table.clone();
        let mut removed: Vec<String> = Vec::new();
        loop {
            let value = Spanned::new(span.clone(), DeValue::Table(table.clone()));
            let e = match de(ValueDeserializer::from(value)) {
                Ok(v) => return removed.is_empty().then_some(v),
                Err(e) => e,
            };
            let message = e.message().trim().replace('\n', "; ");
            if let Some(field) = missing_field(&message) {
                // A required field dropped after its own error is not also missing.
                if !removed.iter().any(|r| r == field) {
                    self.error(span.start, &format!("{path}.{field}"), &message);
                }
                return None;
            }
            let pos = e.span().map_or(span.start, |s| s.start);
            let culprit = table.iter().find_map(|(k, v)| {
                let hit = contains(&k.span(), pos)
                    || contains(&v.span(), pos)
                    || locate(v.get_ref(), pos).is_some();
                hit.then(|| k.get_ref().to_string())
            });
            let field_path = locate(&DeValue::Table(table.clone()), pos).unwrap_or_default();
            self.error(pos, &format!("{path}{field_path}"), &message);
            match culprit {
                Some(key) => {
                    table.remove(key.as_str());
                    removed.push(key);
                }
                None => return None,
            }
        }
    }

    /// Checks that the string(s) at `table[key]` use a supported URI scheme.
    /// Returns whether they do (wrong types are left to deserialization).
    fn check_uris(&mut self, table: &DeTable, key: &str, path: &str) -> bool {
        let Some(value) = table.get(key) else {
            return true;
        };
        let one = |v: &Spanned<DeValue>| match v.get_ref() {
            DeValue::String(s) => crate::store::scheme(s)
                .err()
                .map(|e| (v.span().start, e.to_string())),
            _ => None,
        };
        let bad: Vec<(String, usize, String)> = match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| one(v).map(|(pos, m)| (format!("{path}.{key}[{i}]"), pos, m)))
                .collect(),
            _ => one(value)
                .map(|(pos, m)| (format!("{path}.{key}"), pos, m))
                .into_iter()
                .collect(),
        };
        for (field, pos, message) in &bad {
            self.error(*pos, field, message);
        }
        bad.is_empty()
    }
}

/// The field serde reported missing, from its `missing field `x`` message.
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// Whether byte `pos` falls in `span` (an empty span holds its start).
fn contains(span: &Range<usize>, pos: usize) -> bool {
    span.contains(&pos) || (span.is_empty() && span.start == pos)
}

/// The path, relative to `value`, of the deepest key or element whose key or
/// value span holds `pos`: `.paths[1]`, `.min_words`. Tables opened by a header
/// (`[[stage]]`) span only the header, so the whole tree is searched.
fn locate(value: &DeValue, pos: usize) -> Option<String> {
    match value {
        DeValue::Table(t) => t.iter().find_map(|(k, v)| {
            let here = format!(".{}", render_key(k.get_ref()));
            match locate(v.get_ref(), pos) {
                Some(deeper) => Some(here + &deeper),
                None => (contains(&k.span(), pos) || contains(&v.span(), pos)).then_some(here),
            }
        }),
        DeValue::Array(items) => {
            items
                .iter()
                .enumerate()
                .find_map(|(i, v)| match locate(v.get_ref(), pos) {
                    Some(deeper) => Some(format!("[{i}]{deeper}")),
                    None => contains(&v.span(), pos).then(|| format!("[{i}]")),
                })
        }
        _ => None,
    }
}

/// A key as written in a path: bare when TOML allows it, quoted otherwise.
fn render_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// "a string", "an integer", ... for messages.
fn type_name(value: &DeValue) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// 1-based line and column (in characters) of byte `pos` of `text`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// One step of an override path: a key and the array indexes after it (`stage[1]`).
#[derive(Debug, PartialEq)]
struct Step<'s> {
    key: &'s str,
    indexes: Vec<usize>,
}

/// Splits `stage[1].min_chars` into steps.
fn parse_path(path: &str) -> Result<Vec<Step<'_>>, String> {
    path.split('.')
        .map(|part| {
            let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
            let key = key.trim();
            if key.is_empty() || key.contains(']') {
                return Err(format!(
                    "`{path}` is not a field path like `stage[1].min_chars`"
                ));
            }
            let mut indexes = Vec::new();
            while !rest.is_empty() {
                let (index, after) = rest
                    .split_once(']')
                    .ok_or_else(|| format!("`{path}`: unclosed `[`"))?;
                let index = index
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{path}`: `{index}` is not an index"))?;
                indexes.push(index);
                rest = match after.strip_prefix('[') {
                    Some(r) => r,
                    None if after.is_empty() => "",
                    None => return Err(format!("`{path}`: unexpected `{after}` after `]`")),
                };
            }
            Ok(Step { key, indexes })
        })
        .collect()
}

/// Moves every span of `value` by `by` bytes (into an override's region).
fn shift(value: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = value.span();
    let inner = match value.into_inner() {
        DeValue::Table(t) => DeValue::Table(
            t.into_iter()
                .map(|(k, v)| {
                    let ks = k.span();
                    (
                        Spanned::new(ks.start + by..ks.end + by, k.into_inner()),
                        shift(v, by),
                    )
                })
                .collect(),
        ),
        DeValue::Array(items) => DeValue::Array(items.into_iter().map(|v| shift(v, by)).collect()),
        other => other,
    };
    Spanned::new(span.start + by..span.end + by, inner)
}

/// Applies one `path=value` override whose span region starts at `base`. On
/// failure returns the path to blame and a message.
fn apply_override<'i>(
    root: &mut DeTable<'i>,
    raw: &'i str,
    base: usize,
) -> Result<(), (String, String)> {
    let Some((path, text)) = raw.split_once('=') else {
        return Err((
            raw.to_string(),
            "expected `field.path=value`, e.g. `stage[1].min_chars=50`".into(),
        ));
    };
    let steps = parse_path(path).map_err(|m| (path.to_string(), m))?;
    let at = base + path.len() + 1;
    let value = match DeValue::parse(text) {
        // A date or `nan`/`inf` is almost always meant as text
        // (`output.uri=2024-05-01`, `input.text_field=nan`): keep it a string.
        Ok(v) if looks_like_text(v.get_ref(), text) => {
            Spanned::new(at..at + text.len(), DeValue::String(Cow::Borrowed(text)))
        }
        Ok(v) => shift(v, at),
        // Not TOML: a plain string, so `output.uri=s3://b/x/` needs no quotes.
        Err(_) => Spanned::new(at..at + text.len(), DeValue::String(Cow::Borrowed(text))),
    };
    set(root, &steps, value, base..base + path.len(), String::new())
}

/// TOML values no pipeline field takes that a user typing `--set` meant as text.
fn looks_like_text(v: &DeValue<'_>, text: &str) -> bool {
    match v {
        DeValue::Datetime(_) => true,
        DeValue::Float(_) => text
            .chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E'),
        _ => false,
    }
}

/// Sets `steps` under `table` to `value`, creating missing tables.
fn set<'i>(
    table: &mut DeTable<'i>,
    steps: &[Step<'i>],
    value: Spanned<DeValue<'i>>,
    key_span: Range<usize>,
    done: String,
) -> Result<(), (String, String)> {
    let Some((step, rest)) = steps.split_first() else {
        return Ok(());
    };
    let mut here = if done.is_empty() {
        step.key.to_string()
    } else {
        format!("{done}.{}", step.key)
    };
    if !table.contains_key(step.key) {
        if let Some(index) = step.indexes.first() {
            return Err((
                format!("{here}[{index}]"),
                format!("index out of range; `{here}` is not set"),
            ));
        }
        let empty = DeValue::Table(DeTable::new());
        table.insert(
            Spanned::new(key_span.clone(), Cow::Borrowed(step.key)),
            Spanned::new(key_span.clone(), empty),
        );
    }
    let Some(mut slot) = table.get_mut(step.key) else {
        return Err((here, "internal error: key vanished".into()));
    };
    for &index in &step.indexes {
        let outer = here.clone();
        here = format!("{here}[{index}]");
        let found = type_name(slot.get_ref());
        slot = match slot.get_mut() {
            DeValue::Array(items) => {
                let len = items.len();
                items.get_mut(index).ok_or_else(|| {
                    (
                        here.clone(),
                        format!("index out of range; `{outer}` has {len} entries"),
                    )
                })?
            }
            _ => {
                return Err((
                    here,
                    format!("cannot index `{outer}`: it is {found}, not an array"),
                ));
            }
        };
    }
    if rest.is_empty() {
        *slot = value;
        return Ok(());
    }
    let found = type_name(slot.get_ref());
    match slot.get_mut() {
        DeValue::Table(inner) => set(inner, rest, value, key_span, here),
        _ => Err((
            here.clone(),
            format!("cannot set a field of `{here}`: it is {found}, not a table"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "version = 1\n\n[input]\npaths = [\"data/*.jsonl\"]\n\n[[stage]]\nkind = \"length\"\nmin_chars = 10\n\n[[stage]]\nkind = \"sql\"\nwhere = \"length(text) > 3\"\n\n[[stage]]\nkind = \"tokenize\"\ntokenizer = \"t.json\"\n\n[output]\nuri = \"out/\"\n";

    fn errors(text: &str, overrides: &[&str]) -> Vec<String> {
        let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        match load("p.toml", text, &overrides) {
            Ok(p) => panic!("expected errors, got {p:?}"),
            Err(ConfigError::Invalid(lines)) => lines,
            Err(e) => panic!("unexpected {e}"),
        }
    }

    fn ok(text: &str, overrides: &[&str]) -> Pipeline {
        let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        load("p.toml", text, &overrides).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn minimal_pipeline_loads_with_defaults() {
        let p = ok(MINIMAL, &[]);
        assert_eq!(p.version, 1);
        assert_eq!(p.input.paths, vec!["data/*.jsonl"]);
        assert_eq!(p.input.text_field, "text");
        assert_eq!(p.stages.len(), 3);
        assert_eq!(p.stages[0].kind(), "length");
        assert_eq!(p.output.uri, "out/");
    }

    #[test]
    fn locate_finds_the_deepest_key_even_under_header_tables() {
        let text = "[[stage]]\nkind = \"x\"\n[[stage]]\nkind = \"y\"\nmin = [1, 2]\n[a.b]\nc = 1\n";
        let root = DeValue::Table(DeTable::parse(text).unwrap().into_inner());
        let at = |needle: &str| locate(&root, text.find(needle).unwrap());
        assert_eq!(at("\"y\"").as_deref(), Some(".stage[1].kind"));
        assert_eq!(at("min").as_deref(), Some(".stage[1].min"));
        assert_eq!(at("2]").as_deref(), Some(".stage[1].min[1]"));
        assert_eq!(at("[[stage]]").as_deref(), Some(".stage[0]"));
        assert_eq!(at("c =").as_deref(), Some(".a.b.c"));
        assert_eq!(locate(&root, 0).as_deref(), Some(".stage[0]"));
        assert_eq!(locate(&root, text.len() + 5), None);
    }

    #[test]
    fn override_paths_parse_keys_and_indexes() {
        let steps = parse_path("stage[1].min_chars").unwrap();
        assert_eq!(
            steps,
            vec![
                Step {
                    key: "stage",
                    indexes: vec![1]
                },
                Step {
                    key: "min_chars",
                    indexes: vec![]
                }
            ]
        );
        assert_eq!(parse_path("a[0][2]").unwrap()[0].indexes, vec![0, 2]);
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[x]").is_err());
        assert!(parse_path("a[1").is_err());
    }

    #[test]
    fn overrides_set_values_typed_or_as_plain_strings_and_create_tables() {
        let text = MINIMAL.replace("[output]\nuri = \"out/\"\n", "");
        let p = ok(
            &text,
            &[
                "output.uri=s3://b/x/",
                "stage[0].min_chars=50",
                "input.paths=[\"a\",\"b\"]",
                "stage[1].where=length(text) > 9",
            ],
        );
        assert_eq!(p.output.uri, "s3://b/x/");
        assert_eq!(p.input.paths, vec!["a", "b"]);
        let toml = p.to_toml();
        assert!(toml.contains("min_chars = 50"), "{toml}");
        assert!(toml.contains("length(text) > 9"), "{toml}");
    }

    #[test]
    fn errors_in_overridden_values_point_at_the_override() {
        assert_eq!(
            errors(
                MINIMAL,
                &[
                    "stage[0].min_chars=ten",
                    "stage[9].min_chars=1",
                    "output.uri=gs://x"
                ]
            ),
            vec![
                "p.toml: --set stage[0].min_chars=ten: stage[0].min_chars: invalid type: string \"ten\", expected usize",
                "p.toml: --set stage[9].min_chars=1: stage[9]: index out of range; `stage` has 3 entries",
                "p.toml: --set output.uri=gs://x: output.uri: gs://x: unsupported URI scheme `gs://` (use a local path, file:// or s3://)",
            ]
        );
        assert_eq!(
            errors(MINIMAL, &["version"]),
            vec![
                "p.toml: --set version: version: expected `field.path=value`, e.g. `stage[1].min_chars=50`"
            ]
        );
        assert_eq!(
            errors(MINIMAL, &["version.x=1"]),
            vec![
                "p.toml: --set version.x=1: version: cannot set a field of `version`: it is an integer, not a table"
            ]
        );
    }

    #[test]
    fn every_bad_field_of_one_table_is_reported() {
        let text = MINIMAL.replace(
            "min_chars = 10",
            "min_chars = \"ten\"\nmin_wrds = 3\nmax_chars = -1",
        );
        assert_eq!(
            errors(&text, &[]),
            vec![
                "p.toml:8:13: stage[0].min_chars: invalid type: string \"ten\", expected usize",
                "p.toml:9:1: stage[0].min_wrds: unknown field `min_wrds`, expected one of `min_chars`, `max_chars`, `min_words`",
                "p.toml:10:13: stage[0].max_chars: invalid value: integer `-1`, expected usize",
            ]
        );
    }

    #[test]
    fn pipelines_round_trip_through_toml() {
        let text = MINIMAL.replace(
            "tokenizer = \"t.json\"",
            "tokenizer = \"t.json\"\neos = true",
        );
        let p = ok(&text, &[]);
        let again = ok(&p.to_toml(), &[]);
        assert_eq!(p, again, "{}", p.to_toml());
    }

    #[test]
    fn missing_sections_and_wrong_shapes_are_reported() {
        assert_eq!(
            errors("version = 1\nname = 3\nstage = 1\n", &[]),
            vec![
                "p.toml:1:1: input: no input: set input.paths or input.manifest",
                "p.toml:1:1: output: missing table [output]; output.uri is required",
                "p.toml:2:8: name: expected a string, found an integer",
                "p.toml:3:9: stage: expected an array of tables ([[stage]]), found an integer",
            ]
        );
        assert_eq!(
            errors("version = \"1\"\ninput = [1]\noutput = \"x\"\n", &[]),
            vec![
                "p.toml:1:11: version: expected the integer 1, found a string",
                "p.toml:2:9: input: expected a table ([input]), found an array",
                "p.toml:3:10: output: expected a table ([output]), found a string",
            ]
        );
    }

    #[test]
    fn set_values_that_only_look_like_dates_or_nan_stay_strings() {
        let p = ok(
            MINIMAL,
            &[
                "output.uri=2024-05-01",
                "input.text_field=nan",
                "input.batch_docs=7",
            ],
        );
        assert_eq!(p.output.uri, "2024-05-01");
        assert_eq!(p.input.text_field, "nan");
        assert_eq!(p.input.batch_docs, 7);
    }

    #[test]
    fn duplicate_keys_are_named() {
        assert_eq!(
            errors("version = 1\nversion = 1\n", &[]),
            vec!["p.toml:2:1: duplicate key `version`"]
        );
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("", 0), (1, 1));
        assert_eq!(line_col("a", 99), (1, 2));
    }
}

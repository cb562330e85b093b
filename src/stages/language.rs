//! `language`: fastText language ID, as datatrove 0.10.1's `LanguageFilter`.
//!
//! Writes each document's top label (without `__label__`) to the `language`
//! column, replacing whatever the input had, and its score to a new
//! `language_score` column (Float32, appended after every existing column so
//! the positions of the others never move), then drops documents whose
//! language is not kept or whose score is not above `language_threshold`.
//!
//! The text goes to the model as datatrove sends it (newlines as spaces; the
//! Python binding then ends the line, so the model also sees its end-of-line
//! word). The model is fastText 0.9.2's prediction reimplemented in
//! [`fasttext`], words split as C++ fastText splits them (ASCII whitespace and
//! NUL; a no-break or ideographic space is part of a word): labels and scores
//! match the Python `fasttext` package (see the parity test).
//!
//! The model is a user-supplied file (path or URI) loaded once at build and
//! shared by every batch; this module must never download a model.

mod fasttext;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float32Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field};

use self::fasttext::{LABEL_PREFIX, Model, Scratch};
use super::{Output, Stage, StageConfigure, StageContext};
use crate::document::{self, Columns};
use crate::error::Error;

crate::config_struct! {
    /// Identifies each document's language with a fastText model
    /// (datatrove's `LanguageFilter`): sets `language` and `language_score`,
    /// and drops documents of other languages or with too low a score.
    pub struct LanguageConfig {
        /// Path or URI of a fastText language-ID model, e.g. `lid.176.bin` or
        /// `lid.176.ftz` (never downloaded).
        pub model: String,
        /// Languages to keep, as the model's labels without `__label__`
        /// (`["en", "de"]`); empty keeps every language.
        pub languages: Vec<String> = Vec::new(),
        /// A document is kept when the score of its top language (with
        /// `languages`: of any listed language) is above this.
        pub language_threshold: f64 = 0.65,
    }
}

impl LanguageConfig {
    /// Loads the model and checks `languages` against its labels.
    pub fn load(&self, ctx: &StageContext) -> Result<Language, Error> {
        let bytes = ctx.read("model", &self.model)?;
        let model = Model::read(&bytes).map_err(|e| {
            ctx.invalid(
                "model",
                format!("{}: not a usable fastText model ({e})", self.model),
            )
        })?;
        let labels: Vec<String> = model
            .labels()
            .iter()
            .map(|l| strip_label(l).to_string())
            .collect();
        let mut keep = Vec::with_capacity(self.languages.len());
        for lang in &self.languages {
            match labels.iter().position(|l| l == lang) {
                Some(i) => keep.push(i),
                None => {
                    let mut known = labels.clone();
                    known.sort();
                    return Err(ctx.invalid(
                        "languages",
                        format!(
                            "`{lang}` is not a label of {}; it has {}: {}",
                            self.model,
                            known.len(),
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        // A label scoring above t means every label ranked before it does too,
        // and the scores sum to at most 1 + depth * 1e-5 (fastText adds 1e-5 to
        // each probability before its log), so a listed language above t is
        // among the top ⌊1.1 / t⌋ + 1. At t ≤ 0 every document is kept and only
        // the top label matters.
        let k = if keep.is_empty() || self.language_threshold <= 0.0 {
            1
        } else {
            ((1.1 / self.language_threshold) as usize + 1).min(labels.len())
        };
        Ok(Language {
            model,
            labels,
            keep,
            threshold: self.language_threshold,
            k,
        })
    }
}

fn strip_label(label: &str) -> &str {
    label.strip_prefix(LABEL_PREFIX).unwrap_or(label)
}

impl StageConfigure for LanguageConfig {
    const KIND: &'static str = "language";

    fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.model.trim().is_empty() {
            problems.push((
                "model".into(),
                "must name a fastText model file (e.g. lid.176.bin)".into(),
            ));
        }
        let t = self.language_threshold;
        if !(0.0..1.0).contains(&t) {
            problems.push((
                "language_threshold".into(),
                format!(
                    "is {t}; a score is between 0 and 1 and must be above the threshold, \
                     so use a value in [0, 1)"
                ),
            ));
        }
        for lang in &self.languages {
            if lang.trim().is_empty() {
                problems.push(("languages".into(), "holds an empty label".into()));
            } else if lang.starts_with(LABEL_PREFIX) {
                problems.push((
                    "languages".into(),
                    format!(
                        "`{lang}`: write labels without `{LABEL_PREFIX}` (`{}`)",
                        strip_label(lang)
                    ),
                ));
            }
        }
        problems
    }

    fn build(&self, ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(self.load(ctx)?))
    }
}

/// The runtime of `language`.
pub struct Language {
    model: Model,
    /// The model's labels without the prefix.
    labels: Vec<String>,
    /// Indexes into `labels` of the languages to keep; empty keeps all.
    keep: Vec<usize>,
    threshold: f64,
    /// Labels asked of the model per document.
    k: usize,
}

const NOT_KEPT: u8 = 1;
const BELOW_THRESHOLD: u8 = 2;

/// One document's result: top label (index into the labels), its score, the
/// verdict code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Identified {
    pub label: Option<usize>,
    pub score: f32,
    pub verdict: u8,
}

impl Language {
    /// The model's labels, without the prefix.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Identifies one document. `scratch` is reused across documents.
    pub fn identify(&self, text: &str, scratch: &mut Scratch) -> Identified {
        // k is 1 or 2 at the usual thresholds: the stack serves, a heap
        // buffer only for thresholds below 1/7 with `languages`.
        let (mut small, mut large) = ([(f32::NEG_INFINITY, 0usize); 8], Vec::new());
        let buf = if self.k <= small.len() {
            &mut small[..self.k]
        } else {
            large.resize(self.k, (f32::NEG_INFINITY, 0));
            &mut large[..]
        };
        let top = self.model.predict(text, scratch, buf);
        let Some(&(score, label)) = top.first() else {
            // No input row (a model without an end-of-line word, given only
            // spaces): Python has no label either, and datatrove would fail.
            return Identified {
                label: None,
                score: 0.0,
                verdict: BELOW_THRESHOLD,
            };
        };
        let above = |score: f32| f64::from(score) > self.threshold;
        let verdict = if self.keep.is_empty() {
            if above(score) { 0 } else { BELOW_THRESHOLD }
        } else if top
            .iter()
            .take_while(|(s, _)| above(*s))
            .any(|(_, l)| self.keep.contains(l))
        {
            0
        } else if self.keep.contains(&label) {
            BELOW_THRESHOLD
        } else {
            NOT_KEPT
        };
        let label = Some(label);
        Identified {
            label,
            score,
            verdict,
        }
    }
}

/// The Arrow field of the `language_score` column.
pub fn score_field() -> Field {
    Field::new(document::LANGUAGE_SCORE, DataType::Float32, true)
}

impl Stage for Language {
    fn reasons(&self) -> &'static [&'static str] {
        &["language_not_kept", "language_below_threshold"]
    }

    fn apply(&self, batch: &RecordBatch) -> Result<Output, Error> {
        let text = Columns::of(batch).text;
        let rows = batch.num_rows();
        let mut languages = StringBuilder::with_capacity(rows, rows * 3);
        let mut scores = Float32Builder::with_capacity(rows);
        let mut verdicts = Vec::with_capacity(rows);
        let mut scratch = Scratch::default();
        for row in 0..rows {
            let t = if text.is_valid(row) {
                text.value(row)
            } else {
                ""
            };
            let id = self.identify(t, &mut scratch);
            match id.label {
                Some(i) => {
                    languages.append_value(&self.labels[i]);
                    scores.append_value(id.score);
                }
                None => {
                    languages.append_null();
                    scores.append_null();
                }
            }
            verdicts.push(id.verdict);
        }
        let out = document::with_columns(
            batch,
            [
                (
                    Field::new(document::LANGUAGE, DataType::Utf8, true),
                    Arc::new(languages.finish()) as ArrayRef,
                ),
                (score_field(), Arc::new(scores.finish()) as ArrayRef),
            ],
        )?;
        Ok(Output::Judged(out, verdicts))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader};
    use std::path::{Path, PathBuf};

    use arrow::array::{Float32Array, StringArray};

    use super::*;
    use crate::document::{BatchBuilder, DocRef};
    use crate::store::Stores;

    fn config(model: &str) -> LanguageConfig {
        LanguageConfig {
            model: model.into(),
            languages: Vec::new(),
            language_threshold: 0.65,
        }
    }

    fn ctx(stores: &Stores) -> StageContext<'_> {
        StageContext { index: 3, stores }
    }

    /// `$SHARDWISE_SHARED`, or `None` (the caller skips) when unset.
    fn shared() -> Option<PathBuf> {
        let dir = std::env::var_os("SHARDWISE_SHARED")?;
        Some(PathBuf::from(dir))
    }

    /// lid.176.ftz from the shared folder, or `None` when `SHARDWISE_SHARED`
    /// is unset; a missing file is a failure then.
    fn lid176(languages: &[&str], threshold: f64) -> Option<Language> {
        let Some(dir) = shared() else {
            eprintln!("SHARDWISE_SHARED unset: skipping the lid.176 tests");
            return None;
        };
        let path = dir.join("models/lid.176.ftz");
        assert!(path.is_file(), "{} is missing", path.display());
        let cfg = LanguageConfig {
            languages: languages.iter().map(|l| l.to_string()).collect(),
            language_threshold: threshold,
            ..config(&path.display().to_string())
        };
        Some(cfg.load(&ctx(&Stores::new())).unwrap())
    }

    fn label_of<'a>(lang: &'a Language, id: &Identified) -> &'a str {
        id.label.map_or("<none>", |i| &lang.labels[i])
    }

    #[test]
    fn check_flags_bad_thresholds_and_prefixed_labels() {
        assert!(config("lid.176.bin").check().is_empty());
        for bad in [-0.1, 1.0, 1.5, f64::NAN, f64::INFINITY] {
            let cfg = LanguageConfig {
                language_threshold: bad,
                ..config("lid.176.bin")
            };
            let problems = cfg.check();
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert_eq!(problems[0].0, "language_threshold");
        }
        let cfg = LanguageConfig {
            model: " ".into(),
            languages: vec!["__label__en".into(), "".into()],
            ..config("")
        };
        let fields: Vec<_> = cfg.check().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["model", "languages", "languages"]);
        assert!(cfg.check()[1].1.contains("(`en`)"), "{:?}", cfg.check());
    }

    #[test]
    fn a_missing_model_is_a_config_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lid.176.ftz").display().to_string();
        let err = config(&path).load(&ctx(&Stores::new())).err().unwrap();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("stage[3].model: {path}: not found")
        );
    }

    #[test]
    fn a_corrupt_model_is_a_config_error_naming_the_file_and_cause() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("empty.bin", &b""[..]),
            ("text.bin", &b"this is not a fastText model at all"[..]),
            // fastText's magic and version 12, then nothing.
            ("truncated.ftz", &[0xba, 0x16, 0x4f, 0x2f, 12, 0, 0, 0][..]),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let path = path.display().to_string();
            let err = config(&path).load(&ctx(&Stores::new())).err().unwrap();
            assert!(matches!(err, Error::Config(_)), "{err:?}");
            let msg = err.to_string();
            let want = format!("stage[3].model: {path}: not a usable fastText model (");
            assert!(msg.starts_with(&want), "{msg}");
        }
    }

    #[test]
    fn new_columns_replace_in_place_or_append() {
        let mut b = BatchBuilder::new(0, "s");
        b.push(&DocRef {
            text: "x",
            language: Some("eng"),
            ..Default::default()
        });
        let batch = b.flush();
        let langs: ArrayRef = Arc::new(StringArray::from(vec![Some("en")]));
        let scores: ArrayRef = Arc::new(Float32Array::from(vec![0.5]));
        let lang_field = Field::new(document::LANGUAGE, DataType::Utf8, true);
        let out = document::with_columns(
            &batch,
            [
                (lang_field.clone(), langs.clone()),
                (score_field(), scores.clone()),
            ],
        )
        .unwrap();
        let names: Vec<_> = out
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(
            names,
            [
                "id",
                "text",
                "doc_key",
                "url",
                "date",
                "language",
                "metadata",
                "language_score"
            ]
        );
        assert_eq!(out.column(5), &langs);
        // A second pass (e.g. two language stages) replaces, never duplicates.
        let again =
            document::with_columns(&out, [(lang_field, langs), (score_field(), scores)]).unwrap();
        assert_eq!(again.schema(), out.schema());
    }

    /// Datatrove's decisions for hand-written edge cases on lid.176.ftz, from
    /// the Python `fasttext` package (labels and scores printed by
    /// tests/parity/language_reference.py on these texts).
    fn edge_cases() -> Vec<(&'static str, String, &'static str, f32)> {
        vec![
            ("empty", String::new(), EDGE[0].0, EDGE[0].1),
            (
                "whitespace",
                "  \n\t \r\n  \u{b} \u{c}".into(),
                EDGE[1].0,
                EDGE[1].1,
            ),
            (
                "giant_line",
                "the river flows past the old mill and into the quiet town ".repeat(20_000),
                EDGE[2].0,
                EDGE[2].1,
            ),
            (
                "crlf",
                "Ceci est une phrase en français.\r\nEt voici une autre ligne.\r\n".into(),
                EDGE[3].0,
                EDGE[3].1,
            ),
            (
                "cyrillic",
                "Все люди рождаются свободными и равными в своем достоинстве и правах.".into(),
                EDGE[4].0,
                EDGE[4].1,
            ),
            (
                "chinese",
                "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心。".into(),
                EDGE[5].0,
                EDGE[5].1,
            ),
            (
                "arabic",
                "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق.".into(),
                EDGE[6].0,
                EDGE[6].1,
            ),
            (
                "hindi",
                "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है।".into(),
                EDGE[7].0,
                EDGE[7].1,
            ),
            (
                "nul",
                "Guten\0Tag, wie geht es\0Ihnen heute?".into(),
                EDGE[8].0,
                EDGE[8].1,
            ),
            (
                "eol_word",
                "Bonjour à tous, comment allez-vous </s> and then a long English sentence".into(),
                EDGE[9].0,
                EDGE[9].1,
            ),
            (
                "nbsp_in_word",
                "Ceci\u{a0}est une phrase en français, avec une espace\u{a0}insécable.".into(),
                EDGE[10].0,
                EDGE[10].1,
            ),
            (
                "ideographic_space",
                "人人生而自由\u{3000}在尊严和权利上一律平等。".into(),
                EDGE[11].0,
                EDGE[11].1,
            ),
            (
                "tabs",
                "Das\tist\tein\tdeutscher\tSatz\t\tmit\tTabulatoren.".into(),
                EDGE[12].0,
                EDGE[12].1,
            ),
            (
                "unicode_spaces",
                "Esto\u{2009}es\u{200a}una\u{2028}frase\u{205f}en\u{202f}español\u{1680}muy\u{85}normal."
                    .into(),
                EDGE[13].0,
                EDGE[13].1,
            ),
            (
                "label_tokens",
                "__label__de this is an English sentence __label__xx".into(),
                EDGE[14].0,
                EDGE[14].1,
            ),
            (
                "glued_by_nbsp",
                "word\u{a0}word\u{a0}word\u{a0}word".into(),
                EDGE[15].0,
                EDGE[15].1,
            ),
        ]
    }

    const EDGE: [(&str, f32); 16] = [
        // No word at all: the end-of-line word alone decides, as in Python.
        ("en", 0.124504),
        ("en", 0.124504),
        ("en", 0.956881),
        ("fr", 0.997253),
        ("ru", 0.992991),
        ("zh", 0.900323),
        ("ar", 0.994540),
        ("hi", 0.989089),
        ("de", 0.980927),
        // fastText reads no further than a word `</s>`.
        ("fr", 0.994757),
        // Unicode spaces are part of words for fastText.
        ("fr", 0.996202),
        ("ja", 0.920790),
        ("de", 1.00001),
        ("es", 0.681607),
        // Tokens with the label prefix are not input words.
        ("en", 0.963768),
        // fastText adds 1e-5 to each probability before its log.
        ("sv", 1.000028),
    ];

    #[test]
    fn edge_cases_match_python_fasttext() {
        let Some(lang) = lid176(&[], 0.65) else {
            return;
        };
        let mut scratch = Scratch::default();
        for (name, text, label, score) in edge_cases() {
            let got = lang.identify(&text, &mut scratch);
            assert_eq!(label_of(&lang, &got), label, "{name}");
            assert!(
                (got.score - score).abs() <= 1e-4,
                "{name}: score {} vs {score}",
                got.score
            );
            let below = f64::from(score) <= 0.65;
            assert_eq!(
                got.verdict,
                if below { BELOW_THRESHOLD } else { 0 },
                "{name}"
            );
        }
    }

    #[test]
    fn apply_sets_both_columns_and_judges_by_list_and_threshold() {
        let Some(lang) = lid176(&["fr", "de"], 0.65) else {
            return;
        };
        let texts = [
            "Ceci est une phrase en français, assez longue pour être reconnue.",
            "This sentence is clearly written in English and nothing else.",
            "ok",
            "Das ist ein ganz normaler deutscher Satz über das Wetter heute.",
        ];
        let mut b = BatchBuilder::new(0, "s");
        for t in texts {
            b.push(&DocRef {
                text: t,
                language: Some("xx"),
                ..Default::default()
            });
        }
        let batch = b.flush();
        let Output::Judged(out, verdicts) = lang.apply(&batch).unwrap() else {
            panic!("language must judge")
        };
        assert_eq!(out.num_rows(), 4);
        let langs = out
            .column_by_name(document::LANGUAGE)
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let scores = out
            .column_by_name(document::LANGUAGE_SCORE)
            .unwrap()
            .as_any()
            .downcast_ref::<Float32Array>()
            .unwrap();
        assert_eq!(
            (0..4).map(|i| langs.value(i)).collect::<Vec<_>>(),
            ["fr", "en", langs.value(2), "de"]
        );
        assert!((0..4).all(|i| scores.value(i) > 0.0 && scores.value(i) <= 1.0));
        assert_eq!(verdicts[0], 0);
        assert_eq!(verdicts[1], NOT_KEPT);
        assert_ne!(
            verdicts[2], 0,
            "two letters are not confidently French or German"
        );
        assert_eq!(verdicts[3], 0);
        assert_eq!(
            lang.reasons()[usize::from(NOT_KEPT) - 1],
            "language_not_kept"
        );
    }

    #[test]
    fn unknown_languages_are_a_config_error_listing_the_labels() {
        let Some(dir) = shared() else {
            eprintln!("SHARDWISE_SHARED unset: skipping");
            return;
        };
        let path = dir.join("models/lid.176.ftz").display().to_string();
        let cfg = LanguageConfig {
            languages: vec!["en".into(), "english".into()],
            ..config(&path)
        };
        let err = cfg.load(&ctx(&Stores::new())).err().unwrap().to_string();
        let want = format!(
            "stage[3].languages: `english` is not a label of {path}; it has 176: af, als, am,"
        );
        assert!(err.starts_with(&want), "{err}");
    }

    /// The shared files the golden documents come from, under `data/`.
    const FILES: &[&str] = &[
        "jsonl/dolma-cc-main-2019-30-00140.jsonl.gz",
        "jsonl/dolma-ccnet-cc_en_head-0091.jsonl.gz",
        "corpus/multilingual_udhr.jsonl.gz",
        "corpus/multilingual_sentences_lingua.jsonl.gz",
        "corpus/edge_cases_blns.jsonl.gz",
        "corpus/code_github.jsonl.gz",
        "corpus/web_misc_nltk.jsonl.gz",
        "corpus/wikipedia_wikitext.jsonl.gz",
        "corpus/books_gutenberg.jsonl.gz",
        "corpus/pile_format_sample.jsonl.gz",
        "corpus/web_from_warc_html.jsonl.gz",
    ];

    /// `(id, text, label, score)` of every document in the reference file
    /// (tests/data/language_reference.jsonl, or `$SHARDWISE_LANGUAGE_REFERENCE`
    /// to compare another output of tests/parity/language_reference.py).
    fn reference_documents(shared: &Path) -> Vec<(String, String, String, f32)> {
        #[derive(serde::Deserialize)]
        struct Row {
            id: serde_json::Value,
            text: String,
        }
        let golden = std::env::var("SHARDWISE_LANGUAGE_REFERENCE").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/language_reference.jsonl"
            )
            .into()
        });
        let golden = std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{golden}: {e}"));
        let mut want: HashMap<String, (String, f32)> = HashMap::new();
        for line in golden.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("reference line");
            let label = v["label"].as_str().unwrap().to_string();
            let score = v["score"].as_f64().unwrap() as f32;
            want.insert(v["id"].as_str().unwrap().into(), (label, score));
        }
        let mut docs = Vec::with_capacity(want.len());
        for file in FILES {
            if want.is_empty() {
                break;
            }
            let path = shared.join("data").join(file);
            let f =
                std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for line in BufReader::new(flate2::read::MultiGzDecoder::new(f)).lines() {
                // Lines Rust cannot hold as UTF-8 (lone surrogates) are not in
                // the reference either.
                let Ok(row) = serde_json::from_str::<Row>(&line.unwrap()) else {
                    continue;
                };
                let id = match row.id {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                if let Some((label, score)) = want.remove(&id) {
                    docs.push((id, row.text, label, score));
                }
            }
        }
        let mut missing: Vec<_> = want.into_keys().collect();
        missing.sort();
        assert!(
            missing.is_empty(),
            "reference ids not found in the shared data: {missing:?}"
        );
        docs
    }

    #[test]
    fn labels_and_scores_match_python_fasttext_on_real_documents() {
        let Some(lang) = lid176(&[], 0.65) else {
            return;
        };
        let docs = reference_documents(&shared().unwrap());
        let mut scratch = Scratch::default();
        let (mut same, mut max_diff, mut worst) = (0usize, 0f32, String::new());
        let mut off = Vec::new();
        let t = std::time::Instant::now();
        for (id, text, label, score) in &docs {
            let got = lang.identify(text, &mut scratch);
            let got_label = label_of(&lang, &got);
            if got_label == label {
                same += 1;
            } else {
                eprintln!(
                    "label differs: {id}: python {label} {score}, rust {got_label} {}",
                    got.score
                );
            }
            // The top score, whichever label holds it.
            let diff = (got.score - score).abs();
            if diff > 1e-4 {
                off.push(format!(
                    "{id}: python {label} {score}, rust {got_label} {}",
                    got.score
                ));
            }
            if diff > max_diff {
                (max_diff, worst) = (diff, id.clone());
            }
        }
        let n = docs.len();
        eprintln!(
            "{same}/{n} labels agree; max score diff {max_diff:.2e} ({worst}); \
             {:.1} µs per document (this build)",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        assert!(n > 0);
        assert!(
            off.is_empty(),
            "scores off by more than 1e-4:\n{}",
            off.join("\n")
        );
        // Labels may only differ where two labels tie to within rounding.
        assert!(same as f64 >= 0.999 * n as f64, "{same}/{n} labels agree");
    }
}

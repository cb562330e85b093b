//! `shardwise list`: every stage kind and pipeline section with its fields.
//!
//! Generated from the config structs' own docs ([`shardwise::fields::Documented`]),
//! so it cannot drift from what the parser accepts. Nothing here is hand-written
//! per stage.

use std::fmt::Write as _;

use shardwise::config;
use shardwise::fields::FieldDoc;
use shardwise::stages::StageConfig;

/// Arguments of `shardwise list`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<i32> {
    print!("{}", render());
    Ok(0)
}

/// The whole listing.
fn render() -> String {
    let mut out = String::from("Stages ([[stage]] tables, applied in order):\n");
    for stage in StageConfig::docs() {
        let _ = writeln!(out, "\nkind = \"{}\"\n  {}", stage.kind, stage.doc);
        out.push_str(&table(&stage.fields));
    }
    out.push_str("\nSections:\n");
    for (name, doc, fields) in config::section_docs() {
        let heading = format!("[{name}]");
        let doc = doc.strip_prefix(&format!("`{heading}`: ")).unwrap_or(&doc);
        let _ = writeln!(out, "\n{heading}\n  {doc}");
        out.push_str(&table(&fields));
    }
    out
}

/// Fields as aligned columns: name, type, default (or `required`), doc.
fn table(fields: &[FieldDoc]) -> String {
    let rows: Vec<[&str; 4]> = fields
        .iter()
        .map(|f| {
            let default = f.default.as_deref().unwrap_or("required");
            [f.name, f.ty.as_str(), default, f.doc.as_str()]
        })
        .collect();
    let header = ["field", "type", "default", "description"];
    let width = |c: usize| {
        rows.iter()
            .map(|r| r[c].chars().count())
            .chain([header[c].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let _ = writeln!(
            out,
            "  {:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        );
    }
    out
}

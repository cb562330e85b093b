//! `sql`: keeps the rows for which a DataFusion SQL predicate is true.
//!
//! The predicate is checked at config time against the document schema plus
//! the columns stages add (`language_score`), then planned once per batch
//! schema (in practice once: the stages before it give every batch the same
//! columns) and evaluated on each batch as a vectorised physical expression:
//! no per-document interpretation. Rows where it is false or NULL are dropped,
//! as in SQL's `WHERE`.

use std::sync::{Arc, Mutex};

use arrow::array::{Array, BooleanArray, RecordBatch};
use arrow::datatypes::{Schema, SchemaRef};
use datafusion::common::DFSchema;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::SessionContext;

use super::{Output, Stage, StageConfigure, StageContext};
use crate::error::Error;

crate::config_struct! {
    /// Keeps documents matching a SQL predicate over the batch's columns
    /// (`id`, `text`, `doc_key`, `url`, `date`, `language`, `metadata`, and
    /// `language_score` after a `language` stage).
    pub struct SqlConfig {
        /// The predicate, as in a `WHERE` clause:
        /// `length(text) > 200 AND url NOT LIKE '%/tag/%'`.
        pub r#where: String,
    }
}

/// The columns a predicate may name: the document's and those stages add.
fn checked_schema() -> Schema {
    let document = crate::document::schema();
    let added = [super::language::score_field()];
    Schema::new(
        document
            .fields()
            .iter()
            .cloned()
            .chain(added.map(Arc::new))
            .collect::<Vec<_>>(),
    )
}

/// Plans the predicate against `schema`.
fn plan(sql: &str, schema: &Schema) -> Result<Arc<dyn PhysicalExpr>, String> {
    let ctx = SessionContext::new();
    let schema = DFSchema::try_from(schema.clone()).map_err(|e| e.to_string())?;
    let expr = ctx
        .parse_sql_expr(sql, &schema)
        .map_err(|e| e.to_string())?;
    let physical = ctx
        .create_physical_expr(expr, &schema)
        .map_err(|e| e.to_string())?;
    match physical.data_type(schema.as_arrow()) {
        Ok(arrow::datatypes::DataType::Boolean) => Ok(physical),
        Ok(other) => Err(format!("the predicate is {other}, not a boolean")),
        Err(e) => Err(e.to_string()),
    }
}

impl StageConfigure for SqlConfig {
    const KIND: &'static str = "sql";

    fn check(&self) -> Vec<(String, String)> {
        match plan(&self.r#where, &checked_schema()) {
            Ok(_) => Vec::new(),
            Err(e) => vec![(
                "where".into(),
                format!("invalid predicate: {}", first_line(&e)),
            )],
        }
    }

    fn build(&self, ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        plan(&self.r#where, &checked_schema())
            .map_err(|e| ctx.invalid("where", format!("invalid predicate: {}", first_line(&e))))?;
        Ok(Box::new(Sql {
            sql: self.r#where.clone(),
            index: ctx.index,
            plans: Mutex::new(Vec::new()),
        }))
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The runtime of `sql`.
pub struct Sql {
    sql: String,
    /// Where the stage sits in the pipeline, for messages.
    index: usize,
    /// The predicate planned for each batch schema seen: a column's position
    /// depends on the columns before it.
    plans: Mutex<Vec<(SchemaRef, Arc<dyn PhysicalExpr>)>>,
}

impl Sql {
    /// The predicate planned for `schema`; an error names the columns the
    /// batches have, as a predicate can name a column only some stage adds.
    fn predicate(&self, schema: &SchemaRef) -> Result<Arc<dyn PhysicalExpr>, Error> {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, p)) = plans.iter().find(|(s, _)| s == schema) {
            return Ok(p.clone());
        }
        let predicate = plan(&self.sql, schema).map_err(|e| {
            let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            let score = crate::document::LANGUAGE_SCORE;
            let hint = if self.sql.contains(score) && !columns.contains(&score) {
                format!(" (`{score}` needs a `language` stage before this one)")
            } else {
                String::new()
            };
            crate::error::ConfigError::msg(format!(
                "stage[{}].where: invalid predicate for these batches (columns {}): {}{hint}",
                self.index,
                columns.join(", "),
                first_line(&e)
            ))
        })?;
        plans.push((schema.clone(), predicate.clone()));
        Ok(predicate)
    }
}

impl Stage for Sql {
    fn reasons(&self) -> &'static [&'static str] {
        &["sql"]
    }

    fn apply(&self, batch: &RecordBatch) -> Result<Output, Error> {
        let value = self
            .predicate(&batch.schema())?
            .evaluate(batch)
            .and_then(|v| v.into_array(batch.num_rows()))
            .map_err(|e| Error::internal(format!("sql predicate failed on a batch: {e}")))?;
        let mask = value
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| Error::internal("sql predicate did not return booleans"))?;
        let verdicts = (0..mask.len())
            .map(|i| u8::from(!(mask.is_valid(i) && mask.value(i))))
            .collect();
        Ok(Output::Verdicts(verdicts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{BatchBuilder, DocRef};

    #[test]
    fn predicate_keeps_matching_rows_and_drops_nulls() {
        let mut b = BatchBuilder::new(0, "s");
        for (text, url) in [
            ("long enough text", Some("http://a/x")),
            ("short", Some("http://a/y")),
            ("long enough too", None),
            ("long but tagged", Some("http://a/tag/1")),
        ] {
            b.push(&DocRef {
                text,
                url,
                ..Default::default()
            });
        }
        let batch = b.flush();
        let stage = build("length(text) > 10 AND url NOT LIKE '%/tag/%'", 0);
        assert_eq!(verdicts(stage.as_ref(), &batch).unwrap(), vec![0, 1, 1, 1]);
    }

    /// The stage for `sql`, as `stage[index]` of a pipeline.
    fn build(sql: &str, index: usize) -> Box<dyn Stage> {
        let stores = crate::store::Stores::new();
        let cfg = SqlConfig {
            r#where: sql.into(),
        };
        assert!(cfg.check().is_empty(), "{:?}", cfg.check());
        cfg.build(&StageContext {
            index,
            stores: &stores,
        })
        .unwrap()
    }

    fn verdicts(stage: &dyn Stage, batch: &RecordBatch) -> Result<Vec<u8>, Error> {
        match stage.apply(batch)? {
            Output::Verdicts(v) => Ok(v),
            _ => panic!("sql gives verdicts"),
        }
    }

    #[test]
    fn predicates_can_use_the_language_score() {
        let mut b = BatchBuilder::new(0, "s");
        for text in ["a", "b", "c"] {
            b.push(&DocRef {
                text,
                ..Default::default()
            });
        }
        let plain = b.flush();
        let scores: arrow::array::ArrayRef = Arc::new(arrow::array::Float32Array::from(vec![
            Some(0.9),
            Some(0.5),
            None,
        ]));
        let scored = crate::document::with_columns(
            &plain,
            [(super::super::language::score_field(), scores)],
        )
        .unwrap();
        let stage = build("language_score > 0.65 OR text = 'b'", 3);
        assert_eq!(verdicts(stage.as_ref(), &scored).unwrap(), vec![0, 0, 1]);
        // Again, from the plan made for this schema.
        let sql = Sql {
            sql: "language_score > 0.65".into(),
            index: 3,
            plans: Mutex::new(Vec::new()),
        };
        for _ in 0..3 {
            assert_eq!(verdicts(&sql, &scored).unwrap(), vec![0, 1, 1]);
        }
        assert_eq!(sql.plans.lock().unwrap().len(), 1);
        // Without a `language` stage before, the batches lack the column.
        let err = verdicts(stage.as_ref(), &plain).unwrap_err().to_string();
        assert!(err.contains("stage[3].where"), "{err}");
        assert!(err.contains("needs a `language` stage"), "{err}");
        assert!(err.contains("columns id, text, doc_key"), "{err}");
        // A document-only predicate works on both.
        let stage = build("text <> 'a'", 0);
        assert_eq!(verdicts(stage.as_ref(), &plain).unwrap(), vec![1, 0, 0]);
        assert_eq!(verdicts(stage.as_ref(), &scored).unwrap(), vec![1, 0, 0]);
    }

    #[test]
    fn non_boolean_predicates_fail_at_check_time() {
        let cfg = SqlConfig {
            r#where: "length(text)".into(),
        };
        let errs = cfg.check();
        assert_eq!(
            errs[0].1, "invalid predicate: the predicate is Int32, not a boolean",
            "{errs:?}"
        );
    }

    #[test]
    fn bad_predicates_fail_at_check_time_with_the_cause() {
        let cfg = SqlConfig {
            r#where: "lenght(text) > 1".into(),
        };
        let errs = cfg.check();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].1.contains("lenght"), "{:?}", errs);
    }
}

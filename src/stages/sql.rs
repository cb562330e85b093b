//! `sql`: keeps the rows for which a DataFusion SQL predicate is true.
//!
//! The predicate is parsed and planned once, against the document schema, and then
//! evaluated on each batch as a vectorised physical expression: no per-document
//! interpretation. Rows where it is false or NULL are dropped, as in SQL's `WHERE`.

use std::sync::Arc;

use arrow::array::{Array, BooleanArray, RecordBatch};
use datafusion::common::DFSchema;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::SessionContext;

use super::{Output, Stage, StageConfigure, StageContext};
use crate::error::Error;

crate::config_struct! {
    /// Keeps documents matching a SQL predicate over the batch's columns
    /// (`id`, `text`, `doc_key`, `url`, `date`, `language`, `metadata`).
    pub struct SqlConfig {
        /// The predicate, as in a `WHERE` clause:
        /// `length(text) > 200 AND url NOT LIKE '%/tag/%'`.
        pub r#where: String,
    }
}

/// Plans the predicate against the document schema.
fn plan(sql: &str) -> Result<Arc<dyn PhysicalExpr>, String> {
    let ctx = SessionContext::new();
    let schema = DFSchema::try_from(crate::document::schema().as_ref().clone())
        .map_err(|e| e.to_string())?;
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
        match plan(&self.r#where) {
            Ok(_) => Vec::new(),
            Err(e) => vec![(
                "where".into(),
                format!("invalid predicate: {}", first_line(&e)),
            )],
        }
    }

    fn build(&self, ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        let predicate = plan(&self.r#where)
            .map_err(|e| ctx.invalid("where", format!("invalid predicate: {}", first_line(&e))))?;
        Ok(Box::new(Sql { predicate }))
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The runtime of `sql`.
pub struct Sql {
    predicate: Arc<dyn PhysicalExpr>,
}

impl Stage for Sql {
    fn reasons(&self) -> &'static [&'static str] {
        &["sql"]
    }

    fn apply(&self, batch: &RecordBatch) -> Result<Output, Error> {
        let value = self
            .predicate
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
        let cfg = SqlConfig {
            r#where: "length(text) > 10 AND url NOT LIKE '%/tag/%'".into(),
        };
        let stages = crate::store::Stores::new();
        let stage = cfg
            .build(&StageContext {
                index: 0,
                stores: &stages,
            })
            .unwrap();
        let Output::Verdicts(v) = stage.apply(&batch).unwrap() else {
            panic!()
        };
        assert_eq!(v, vec![0, 1, 1, 1]);
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

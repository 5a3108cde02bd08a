//! Bounds on a stream's event time, and what they say of a segment.
//!
//! A [`TimeBound`] is a conjunct `f(event_time) op value` of a filter, where `f` is the column itself or a
//! cast to a timestamp type (both keep order), `op` is a comparison and `value` reads no column and calls
//! no volatile function but the clock's (`now()`, `current_date()`, `current_time()`: one value per
//! evaluation): a literal, or an expression such as `date_trunc('day', now())`. The value is evaluated
//! when the bound is applied, so one planned query serves every tick while `now()` moves.
//!
//! Because `f` keeps order, the predicate's value at a segment's oldest and newest event says whether
//! [`Coverage::All`] of its rows pass, [`Coverage::None`] do, or only some may. The scan uses this to skip
//! segments; the engine uses it to tell the segments a time filter covers entirely, whose partial
//! aggregates do not depend on `now()`. The bound is evaluated with DataFusion's own comparison of the
//! same expressions the filter uses, so both agree on every row. This module decides nothing else.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, Operator, Volatility};
use datafusion::physical_expr::expressions::{BinaryExpr, CastExpr, Column, Literal, TryCastExpr};
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};

/// Names of the functions that read the evaluation's clock (the engine registers them).
pub const CLOCK_FUNCTIONS: [&str; 3] = ["now", "current_date", "current_time"];

/// Whether a function of this name reads the clock.
pub fn is_clock(name: &str) -> bool {
    CLOCK_FUNCTIONS.contains(&name)
}

/// How many rows of a segment pass a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    All,
    Some,
    None,
}

/// `f(event_time) op value`; see the module comment.
#[derive(Debug, Clone)]
pub struct TimeBound {
    /// `f(event_time)`, reading column 0 of a one-column batch of event times.
    column_side: Arc<dyn PhysicalExpr>,
    op: Operator,
    value: Arc<dyn PhysicalExpr>,
    /// The event-time column's field (its type and time zone).
    field: FieldRef,
}

impl TimeBound {
    /// `expr` as a bound, when it is one. `resolve` says whether a column of `expr` is the event time, by
    /// giving the expression that computes it from the event time in column 0 of a one-column batch (the
    /// column itself, or the cast a projection below applied to it).
    pub fn recognise(
        expr: &Arc<dyn PhysicalExpr>,
        resolve: &dyn Fn(&Column) -> Option<Arc<dyn PhysicalExpr>>,
        field: &FieldRef,
    ) -> Option<TimeBound> {
        let binary = expr.downcast_ref::<BinaryExpr>()?;
        let is_time = |e: &Arc<dyn PhysicalExpr>| ordered_column(e).is_some_and(|c| resolve(c).is_some());
        let (column_side, op, value) = if is_time(binary.left()) {
            (binary.left(), *binary.op(), binary.right())
        } else if is_time(binary.right()) {
            (binary.right(), binary.op().swap()?, binary.left())
        } else {
            return None;
        };
        if !matches!(
            op,
            Operator::Gt | Operator::GtEq | Operator::Lt | Operator::LtEq | Operator::Eq
        ) || !collect_columns(value).is_empty()
            || is_volatile(value)
        {
            return None;
        }
        let column_side = Arc::clone(column_side)
            .transform(|e| {
                Ok(match e.downcast_ref::<Column>().and_then(resolve) {
                    Some(time) => Transformed::yes(time),
                    None => Transformed::no(e),
                })
            })
            .ok()?
            .data;
        Some(TimeBound {
            column_side,
            op,
            value: Arc::clone(value),
            field: Arc::clone(field),
        })
    }

    /// Whether the bound's value changes with the clock (it calls `now()` or the like).
    pub fn moves(&self, is_clock: &dyn Fn(&str) -> bool) -> bool {
        calls(&self.value, is_clock)
    }

    /// The bound as this evaluation sees it (`now()` bound), as text: equal texts cut a segment equally.
    pub fn value_key(&self) -> Result<String> {
        Ok(format!("{}{}", self.op, scalar(&self.value)?))
    }

    /// For each `(min_ms, max_ms)` of `ranges`, how many rows with event times in it pass the bound.
    pub fn coverage(&self, ranges: &[(i64, i64)]) -> Result<Vec<Coverage>> {
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        let value = scalar(&self.value)?;
        let times = TimestampMillisecondArray::from_iter_values(ranges.iter().flat_map(|&(lo, hi)| [lo, hi]));
        let tz = match self.field.data_type() {
            DataType::Timestamp(_, tz) => tz.clone(),
            _ => None,
        };
        let schema = Schema::new(vec![Field::new(
            self.field.name(),
            DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Millisecond, tz.clone()),
            false,
        )]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(times.with_timezone_opt(tz))])?;
        let predicate = BinaryExpr::new(Arc::clone(&self.column_side), self.op, Arc::new(Literal::new(value)));
        let passes = predicate.evaluate(&batch)?.into_array(batch.num_rows())?;
        let passes = passes.as_boolean();
        let pass = |i: usize| passes.is_valid(i) && passes.value(i);
        Ok((0..ranges.len())
            .map(|i| {
                let (at_min, at_max) = (pass(2 * i), pass(2 * i + 1));
                match self.op {
                    // The predicate never turns false as time grows.
                    Operator::Gt | Operator::GtEq if at_min => Coverage::All,
                    Operator::Gt | Operator::GtEq if !at_max => Coverage::None,
                    // It never turns true as time grows.
                    Operator::Lt | Operator::LtEq if at_max => Coverage::All,
                    Operator::Lt | Operator::LtEq if !at_min => Coverage::None,
                    Operator::Eq if at_min && at_max => Coverage::All,
                    _ => Coverage::Some,
                }
            })
            .collect())
    }
}

/// The combined coverage of several bounds (a conjunction) for each range.
pub fn coverage(bounds: &[TimeBound], ranges: &[(i64, i64)]) -> Result<Vec<Coverage>> {
    let mut out = vec![Coverage::All; ranges.len()];
    for b in bounds {
        for (o, c) in out.iter_mut().zip(b.coverage(ranges)?) {
            *o = match (*o, c) {
                (Coverage::None, _) | (_, Coverage::None) => Coverage::None,
                (Coverage::Some, _) | (_, Coverage::Some) => Coverage::Some,
                _ => Coverage::All,
            };
        }
    }
    Ok(out)
}

/// The column `expr` reads when it is a column, possibly cast to a timestamp type (casts between
/// timestamp types keep order).
pub fn ordered_column(expr: &Arc<dyn PhysicalExpr>) -> Option<&Column> {
    let any: &dyn PhysicalExpr = expr.as_ref();
    if let Some(c) = any.downcast_ref::<Column>() {
        return Some(c);
    }
    if let Some(c) = any.downcast_ref::<CastExpr>() {
        return matches!(c.cast_type(), DataType::Timestamp(..))
            .then(|| ordered_column(c.expr()))
            .flatten();
    }
    if let Some(c) = any.downcast_ref::<TryCastExpr>() {
        return matches!(c.cast_type(), DataType::Timestamp(..))
            .then(|| ordered_column(c.expr()))
            .flatten();
    }
    None
}

/// Evaluates an expression that reads no column to one value.
fn scalar(expr: &Arc<dyn PhysicalExpr>) -> Result<ScalarValue> {
    let one_row = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    match expr.evaluate(&one_row)? {
        ColumnarValue::Scalar(s) => Ok(s),
        ColumnarValue::Array(a) => ScalarValue::try_from_array(&a, 0),
    }
}

/// Whether `expr` calls a volatile function (its value may differ at every call, like `random()`), the
/// clock's functions aside.
pub fn is_volatile(expr: &Arc<dyn PhysicalExpr>) -> bool {
    any_function(expr, &|f| {
        f.fun().signature().volatility == Volatility::Volatile && !is_clock(f.name())
    })
}

/// Whether `expr` calls a function whose name `is_clock` accepts.
pub fn calls(expr: &Arc<dyn PhysicalExpr>, is_clock: &dyn Fn(&str) -> bool) -> bool {
    any_function(expr, &|f| is_clock(f.name()))
}

fn any_function(expr: &Arc<dyn PhysicalExpr>, test: &dyn Fn(&ScalarFunctionExpr) -> bool) -> bool {
    let mut found = false;
    let _ = expr.apply(|e| {
        if e.downcast_ref::<ScalarFunctionExpr>().is_some_and(test) {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::TimeUnit;
    use datafusion::physical_expr::expressions::{binary, cast, lit};

    fn field() -> FieldRef {
        Arc::new(Field::new(
            "t",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ))
    }

    fn resolve_t(c: &Column) -> Option<Arc<dyn PhysicalExpr>> {
        (c.name() == "t").then(|| Arc::new(Column::new("t", 0)) as Arc<dyn PhysicalExpr>)
    }

    fn bound(op: Operator, value_ms: i64, cast_ns: bool) -> TimeBound {
        let schema = Schema::new(vec![Field::new("x", DataType::Int64, false), field().as_ref().clone()]);
        let mut column: Arc<dyn PhysicalExpr> = Arc::new(Column::new("t", 1));
        let mut value = lit(ScalarValue::TimestampMillisecond(Some(value_ms), Some("UTC".into())));
        if cast_ns {
            let ns = DataType::Timestamp(TimeUnit::Nanosecond, Some("+07:00".into()));
            column = cast(column, &schema, ns.clone()).unwrap();
            value = lit(ScalarValue::TimestampNanosecond(
                Some(value_ms * 1_000_000),
                Some("+07:00".into()),
            ));
        }
        let expr = binary(column, op, value, &schema).unwrap();
        TimeBound::recognise(&expr, &resolve_t, &field()).expect("a bound")
    }

    #[test]
    fn tells_all_some_and_none() {
        let ranges = [(0, 9), (10, 20), (5, 15), (21, 30)];
        for cast_ns in [false, true] {
            let ge = bound(Operator::GtEq, 10, cast_ns).coverage(&ranges).unwrap();
            assert_eq!(ge, [Coverage::None, Coverage::All, Coverage::Some, Coverage::All]);
            let lt = bound(Operator::Lt, 21, cast_ns).coverage(&ranges).unwrap();
            assert_eq!(lt, [Coverage::All, Coverage::All, Coverage::All, Coverage::None]);
            let both = coverage(
                &[bound(Operator::Gt, 9, cast_ns), bound(Operator::LtEq, 20, cast_ns)],
                &ranges,
            )
            .unwrap();
            assert_eq!(both, [Coverage::None, Coverage::All, Coverage::Some, Coverage::None]);
        }
    }

    #[test]
    fn only_comparisons_of_the_time_column_with_column_free_values_are_bounds() {
        let schema = Schema::new(vec![Field::new("x", DataType::Int64, false), field().as_ref().clone()]);
        let t: Arc<dyn PhysicalExpr> = Arc::new(Column::new("t", 1));
        let v = lit(ScalarValue::TimestampMillisecond(Some(5), Some("UTC".into())));
        let ne = binary(Arc::clone(&t), Operator::NotEq, Arc::clone(&v), &schema).unwrap();
        assert!(TimeBound::recognise(&ne, &resolve_t, &field()).is_none());
        let t_vs_t = binary(Arc::clone(&t), Operator::Gt, Arc::clone(&t), &schema).unwrap();
        assert!(TimeBound::recognise(&t_vs_t, &resolve_t, &field()).is_none());
        let swapped = binary(v, Operator::Gt, t, &schema).unwrap(); // 5 > t  <=>  t < 5
        let b = TimeBound::recognise(&swapped, &resolve_t, &field()).unwrap();
        assert_eq!(b.coverage(&[(0, 4), (5, 9)]).unwrap(), [Coverage::All, Coverage::None]);
    }
}

//! Functions that build large values, with a limit on what they may build.
//!
//! `repeat('x', 2000000000)` asks for a 2 GB string, and DataFusion evaluates it while it plans (constant
//! folding), outside any memory pool and before any timeout can act. The session's `repeat`, `lpad`,
//! `rpad`, `replace`, `regexp_replace`, `concat` and `concat_ws` are replaced by wrappers that, before
//! calling DataFusion's function, estimate from their arguments the largest value it can make and refuse
//! (an error for that query) past [`MAX_VALUE_BYTES`] per value or [`MAX_BATCH_BYTES`] per batch of rows.
//! The estimate is an upper bound computed from the arguments' actual lengths, so nothing legal is refused
//! that stays within the limits. The sandbox also bounds how many of these calls one query makes
//! ([`super::sandbox`]), so `||` between many large values stays bounded too.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::kernels::length::length;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;

/// The largest value one call may build.
pub const MAX_VALUE_BYTES: usize = 16 << 20;
/// The most one call may build for one batch of rows.
pub const MAX_BATCH_BYTES: usize = 64 << 20;
/// The functions this module limits (also the names the sandbox counts).
pub const BUILDERS: [&str; 7] = [
    "repeat",
    "lpad",
    "rpad",
    "replace",
    "regexp_replace",
    "concat",
    "concat_ws",
];

/// Replaces the value-building functions of `ctx` by limited ones.
pub fn install(ctx: &SessionContext) {
    let state = ctx.state();
    for name in BUILDERS {
        if let Some(inner) = state.scalar_functions().get(name) {
            ctx.register_udf(ScalarUDF::from(Capped {
                inner: Arc::clone(inner),
            }));
        }
    }
}

#[derive(Debug)]
struct Capped {
    inner: Arc<ScalarUDF>,
}

impl PartialEq for Capped {
    fn eq(&self, o: &Self) -> bool {
        self.inner.name() == o.inner.name()
    }
}

impl Eq for Capped {}

impl Hash for Capped {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.name().hash(state);
    }
}

/// The longest value of a string or binary argument, in bytes (0 for null or other types).
fn max_len(arg: &ColumnarValue) -> usize {
    match arg {
        ColumnarValue::Scalar(s) => match s {
            ScalarValue::Utf8(Some(v)) | ScalarValue::LargeUtf8(Some(v)) | ScalarValue::Utf8View(Some(v)) => v.len(),
            ScalarValue::Binary(Some(v)) | ScalarValue::LargeBinary(Some(v)) | ScalarValue::BinaryView(Some(v)) => {
                v.len()
            }
            _ => 0,
        },
        ColumnarValue::Array(a) => match length(a.as_ref()) {
            Ok(lengths) => match lengths.data_type() {
                DataType::Int32 => {
                    datafusion::arrow::compute::max(lengths.as_primitive::<datafusion::arrow::datatypes::Int32Type>())
                        .map_or(0, |m| m.max(0) as usize)
                }
                DataType::Int64 => {
                    datafusion::arrow::compute::max(lengths.as_primitive::<datafusion::arrow::datatypes::Int64Type>())
                        .map_or(0, |m| m.max(0) as usize)
                }
                _ => 0,
            },
            Err(_) => 0,
        },
    }
}

/// The largest integer argument (0 for null or other types).
fn max_int(arg: &ColumnarValue) -> usize {
    let clamp = |v: i64| v.max(0) as usize;
    match arg {
        ColumnarValue::Scalar(s) => match s {
            ScalarValue::Int64(Some(v)) => clamp(*v),
            ScalarValue::Int32(Some(v)) => clamp(i64::from(*v)),
            ScalarValue::Int16(Some(v)) => clamp(i64::from(*v)),
            ScalarValue::Int8(Some(v)) => clamp(i64::from(*v)),
            ScalarValue::UInt64(Some(v)) => usize::try_from(*v).unwrap_or(usize::MAX),
            ScalarValue::UInt32(Some(v)) => *v as usize,
            _ => 0,
        },
        ColumnarValue::Array(a) => match a.data_type() {
            DataType::Int64 => {
                datafusion::arrow::compute::max(a.as_primitive::<datafusion::arrow::datatypes::Int64Type>())
                    .map_or(0, clamp)
            }
            DataType::Int32 => {
                datafusion::arrow::compute::max(a.as_primitive::<datafusion::arrow::datatypes::Int32Type>())
                    .map_or(0, |v| clamp(i64::from(v)))
            }
            _ => usize::MAX,
        },
    }
}

impl Capped {
    /// An upper bound of the bytes of one value the function makes from `args`.
    fn estimate(&self, args: &[ColumnarValue]) -> usize {
        let len = |i: usize| args.get(i).map_or(0, max_len);
        let int = |i: usize| args.get(i).map_or(0, max_int);
        match self.inner.name() {
            "repeat" => len(0).saturating_mul(int(1)),
            // Characters of up to 4 bytes.
            "lpad" | "rpad" => int(1).saturating_mul(4).max(len(0)),
            // Every match replaced; a pattern may match between any two characters.
            "replace" => (len(0) / len(1).max(1) + 1)
                .saturating_mul(len(2))
                .saturating_add(len(0)),
            "regexp_replace" => (len(0) + 1).saturating_mul(len(2) + 1),
            "concat" => (0..args.len()).map(len).fold(0usize, usize::saturating_add),
            "concat_ws" => (0..args.len())
                .map(len)
                .fold(0usize, usize::saturating_add)
                .saturating_add(len(0).saturating_mul(args.len())),
            _ => 0,
        }
    }
}

impl ScalarUDFImpl for Capped {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let one = self.estimate(&args.args);
        if one > MAX_VALUE_BYTES {
            return exec_err!(
                "{}(...) would build a value of up to {one} bytes, more than the limit of {MAX_VALUE_BYTES}",
                self.name()
            );
        }
        let rows = if args.args.iter().any(|a| matches!(a, ColumnarValue::Array(_))) {
            args.number_rows.max(1)
        } else {
            1
        };
        if one.saturating_mul(rows) > MAX_BATCH_BYTES {
            return exec_err!(
                "{}(...) would build up to {} bytes for {rows} rows, more than the limit of {MAX_BATCH_BYTES}",
                self.name(),
                one.saturating_mul(rows)
            );
        }
        self.inner.invoke_with_args(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    async fn run(ctx: &SessionContext, sql: &str) -> Result<usize> {
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(batches.iter().map(|b| b.num_rows()).sum())
    }

    #[tokio::test]
    async fn large_values_are_refused_small_ones_built() {
        let ctx = SessionContext::new();
        install(&ctx);
        assert_eq!(
            run(&ctx, "SELECT repeat('ab', 1000), lpad('x', 50), concat('a', 'b')")
                .await
                .unwrap(),
            1
        );
        for sql in [
            "SELECT length(repeat('x', 2000000000))",
            "SELECT lpad('x', 1000000000)",
            "SELECT concat(repeat('x', 10000000), repeat('y', 10000000))",
            "SELECT regexp_replace(repeat('x', 100000), '', repeat('y', 1000), 'g')",
        ] {
            let e = run(&ctx, sql).await.unwrap_err().to_string();
            assert!(e.contains("more than the limit"), "{sql}: {e}");
        }
        // Over rows: each value is small, the batch is not.
        let e = run(&ctx, "SELECT repeat('x', 10000 + value) FROM range(10000)")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("rows"), "{e}");
    }
}

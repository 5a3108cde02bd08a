//! The clock a planned query reads: `now()`, `current_date()` and `current_time()` as functions whose value
//! is set before each evaluation, instead of DataFusion's, which are folded into constants when a query is
//! planned.
//!
//! Each prepared query has its own [`Clock`] and registers these functions bound to it, so a plan made once
//! serves every tick: the engine sets the clock, then runs the plan. They have one value within one
//! evaluation, but they are declared `Volatile`: DataFusion folds every other function of constants into a
//! constant while planning (`Stable` ones included), which would freeze the plan at the instant it was
//! made. The price is that DataFusion does not offer filters that use them to the table scans; the engine
//! gives the scans the time bounds it finds in those filters itself ([`super::pushdown`]). Their names,
//! return types and time zone handling are DataFusion's: `now()` is a nanosecond timestamp in the session
//! time zone, `current_date()` the date in that zone.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::{internal_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

pub use crate::store::time::is_clock;

/// The instant an evaluation runs at (nanoseconds since the epoch), in one time zone.
#[derive(Debug, Clone)]
pub struct Clock {
    now_ns: Arc<AtomicI64>,
    time_zone: Arc<str>,
}

impl Clock {
    pub fn new(time_zone: &str) -> Clock {
        Clock {
            now_ns: Arc::new(AtomicI64::new(Utc::now().timestamp_nanos_opt().unwrap_or(0))),
            time_zone: time_zone.into(),
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.now_ns
            .store(at.timestamp_nanos_opt().unwrap_or(i64::MAX), Ordering::Release);
    }

    pub fn get(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.now_ns.load(Ordering::Acquire))
    }

    /// The functions to register in a session whose plans read this clock.
    pub fn functions(&self) -> Vec<Arc<ScalarUDF>> {
        [Kind::Now, Kind::Date, Kind::Time]
            .into_iter()
            .map(|kind| {
                Arc::new(ScalarUDF::from(ClockFn {
                    kind,
                    clock: self.clone(),
                    signature: Signature::nullary(Volatility::Volatile),
                }))
            })
            .collect()
    }

    /// The local date and time of the clock's instant in its time zone.
    fn local(&self) -> (NaiveDate, u32, u32) {
        let at = self.get();
        match self.time_zone.parse::<Tz>() {
            Ok(tz) => {
                let local = tz.from_utc_datetime(&at.naive_utc());
                (
                    local.date_naive(),
                    local.num_seconds_from_midnight(),
                    local.nanosecond(),
                )
            }
            Err(_) => (at.date_naive(), at.num_seconds_from_midnight(), at.nanosecond()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Now,
    Date,
    Time,
}

#[derive(Debug)]
struct ClockFn {
    kind: Kind,
    clock: Clock,
    signature: Signature,
}

impl PartialEq for ClockFn {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind && Arc::ptr_eq(&self.clock.now_ns, &o.clock.now_ns)
    }
}

impl Eq for ClockFn {}

impl Hash for ClockFn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        (Arc::as_ptr(&self.clock.now_ns) as usize).hash(state);
    }
}

impl ClockFn {
    fn data_type(&self) -> DataType {
        match self.kind {
            Kind::Now => DataType::Timestamp(TimeUnit::Nanosecond, Some(self.clock.time_zone.clone())),
            Kind::Date => DataType::Date32,
            Kind::Time => DataType::Time64(TimeUnit::Nanosecond),
        }
    }

    fn value(&self) -> ScalarValue {
        match self.kind {
            Kind::Now => ScalarValue::TimestampNanosecond(
                self.clock.get().timestamp_nanos_opt(),
                Some(self.clock.time_zone.clone()),
            ),
            Kind::Date => {
                let (date, _, _) = self.clock.local();
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
                ScalarValue::Date32(Some(date.num_days_from_ce() - epoch.num_days_from_ce()))
            }
            Kind::Time => {
                let (_, seconds, nanos) = self.clock.local();
                ScalarValue::Time64Nanosecond(Some(
                    i64::from(seconds) * 1_000_000_000 + i64::from(nanos % 1_000_000_000),
                ))
            }
        }
    }
}

impl ScalarUDFImpl for ClockFn {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Now => "now",
            Kind::Date => "current_date",
            Kind::Time => "current_time",
        }
    }

    fn aliases(&self) -> &[String] {
        static NOW: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        static DATE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        match self.kind {
            Kind::Now => NOW.get_or_init(|| vec!["current_timestamp".into()]),
            Kind::Date => DATE.get_or_init(|| vec!["today".into()]),
            Kind::Time => &[],
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("return_field_from_args is used instead")
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(self.name(), self.data_type(), false)))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_instant_it_was_set_to_in_its_time_zone() {
        let clock = Clock::new("Asia/Ho_Chi_Minh");
        // 2026-03-01T20:30:00Z is 2026-03-02 03:30 in Ho Chi Minh City.
        clock.set(DateTime::parse_from_rfc3339("2026-03-01T20:30:00Z").unwrap().to_utc());
        let [now, date, time]: [Arc<ScalarUDF>; 3] = clock.functions().try_into().unwrap();
        assert_eq!(now.name(), "now");
        let value = |f: &ScalarUDF| f.inner().downcast_ref::<ClockFn>().unwrap().value();
        assert_eq!(
            value(&now),
            ScalarValue::TimestampNanosecond(Some(1_772_397_000_000_000_000), Some("Asia/Ho_Chi_Minh".into()))
        );
        let days = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().num_days_from_ce()
            - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap().num_days_from_ce();
        assert_eq!(value(&date), ScalarValue::Date32(Some(days)));
        assert_eq!(
            value(&time),
            ScalarValue::Time64Nanosecond(Some(12_600 * 1_000_000_000))
        );
        assert!(is_clock(now.name()) && is_clock(date.name()) && !is_clock("date_trunc"));
    }
}

//! Usage totals: what jobs cost, summed as they end, and `GET /api/usage`.
//!
//! A job's end is decided once (the end latch of its attempt, or the claim latch of a queued
//! cancel; see [`super::queue`]), and the winner calls [`count_end`]: the job's figures are added
//! with `increment` to one bucket per day (UTC, of the end) and per day and user, brand (the job's
//! brand data document) and type. Nothing is ever scanned: a report reads, for each day of its
//! range, the bucket (grouped by day) or the list of keys seen that day and their buckets.
//!
//! Keys (`{h}` is the first 32 hex digits of the SHA-256 of the group's key, so any user or
//! document name fits):
//! - `usage/{day}/all/{field}`: the day's totals.
//! - `usage/{day}/{dim}/{h}/{field}` for `dim` in `user`, `brand`, `type`: one key's totals.
//! - `usage/{day}/{dim}/{h}/seen`: latch; its winner appends the key's name to the day's list
//!   `usage/{day}/{dim}/n` + `usage/{day}/{dim}/s/{i}`.
//!
//! Cost is kept in micro-dollars (integers add up exactly); reports give dollars.

use serde::Serialize;

use super::model::{JobRecord, JobType, Status};
use crate::Ctx;
use crate::documents::Documents;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::store::{Store, StoreResult};

/// Longest range one report covers, in days.
pub const MAX_DAYS: i64 = 366;
/// Days a report covers when `from` is not given (ending with `to`, or today).
pub const DEFAULT_DAYS: i64 = 30;
/// What a job without a brand data document is grouped under.
pub const NO_BRAND: &str = "";

/// The counters of a bucket, in the order [`Figures`] lists them.
const FIELDS: [&str; 10] = [
    "jobs",
    "completed",
    "failed",
    "cancelled",
    "cost_micro_usd",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "duration_ms",
];

/// How a report groups jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Day,
    User,
    Brand,
    Type,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        Some(match s {
            "day" => GroupBy::Day,
            "user" => GroupBy::User,
            "brand" => GroupBy::Brand,
            "type" => GroupBy::Type,
            _ => return None,
        })
    }

    fn dimension(self) -> &'static str {
        match self {
            GroupBy::Day => "all",
            GroupBy::User => "user",
            GroupBy::Brand => "brand",
            GroupBy::Type => "type",
        }
    }
}

/// One row of a report: the jobs that ended under `key`, and what they cost.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageRow {
    /// The day (`YYYY-MM-DD`), the user (who submitted), the brand data document's name (empty
    /// for jobs without one) or the job type.
    pub key: String,
    /// Jobs that ended (completed, failed or cancelled).
    pub jobs: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Dollars (`cost_micro_usd` / 1,000,000).
    pub cost_usd: f64,
    /// What the runs cost as their CLI reported it, in millionths of a dollar, summed exactly.
    pub cost_micro_usd: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_input_tokens: i64,
    pub cache_creation_input_tokens: i64,
    /// The CLI's own run time, summed.
    pub duration_ms: i64,
}

impl UsageRow {
    fn add(&mut self, figures: &[i64; 10]) {
        let [
            jobs,
            completed,
            failed,
            cancelled,
            micro,
            input,
            output,
            read,
            created,
            ms,
        ] = *figures;
        self.jobs += jobs;
        self.completed += completed;
        self.failed += failed;
        self.cancelled += cancelled;
        self.cost_micro_usd += micro;
        self.cost_usd = self.cost_micro_usd as f64 / 1e6;
        self.input_tokens += input;
        self.output_tokens += output;
        self.cache_read_input_tokens += read;
        self.cache_creation_input_tokens += created;
        self.duration_ms += ms;
    }

    /// The row back as bucket figures (to add rows up).
    fn figures(&self) -> [i64; 10] {
        [
            self.jobs,
            self.completed,
            self.failed,
            self.cancelled,
            self.cost_micro_usd,
            self.input_tokens,
            self.output_tokens,
            self.cache_read_input_tokens,
            self.cache_creation_input_tokens,
            self.duration_ms,
        ]
    }
}

/// `GET /api/usage`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageReport {
    pub group_by: GroupBy,
    /// The first and last day covered (UTC), inclusive.
    pub from: String,
    pub to: String,
    /// Grouped by day: every day of the range, oldest first (days without jobs as zeros).
    /// Otherwise: every key with jobs in the range, costliest first.
    pub rows: Vec<UsageRow>,
    /// The whole range (`key` empty).
    pub totals: UsageRow,
}

fn bucket(day: &str, dimension: &str, key: &str) -> String {
    if dimension == "all" {
        format!("usage/{day}/all")
    } else {
        format!("usage/{day}/{dimension}/{}", crate::store::key_digest(key))
    }
}

fn list_counter(day: &str, dimension: &str) -> String {
    format!("usage/{day}/{dimension}/n")
}

fn list_slot(day: &str, dimension: &str, i: i64) -> String {
    format!("usage/{day}/{dimension}/s/{i}")
}

/// The day (UTC, `YYYY-MM-DD`) of an epoch-milliseconds time.
pub fn day_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// Adds an ended job to the totals. Called once per job, by the winner of the latch that ended
/// it; a job that is not final (requeued) is not counted.
pub fn count_end(ctx: &Ctx, record: &JobRecord) -> StoreResult<()> {
    if !record.status.is_final() {
        return Ok(());
    }
    let usage = record.usage.clone().unwrap_or_default();
    let figures: [i64; 10] = [
        1,
        (record.status == Status::Completed).into(),
        (record.status == Status::Failed).into(),
        (record.status == Status::Cancelled).into(),
        (usage.cost_usd * 1e6).round() as i64,
        usage.input_tokens as i64,
        usage.output_tokens as i64,
        usage.cache_read_input_tokens as i64,
        usage.cache_creation_input_tokens as i64,
        usage.duration_ms as i64,
    ];
    let day = day_of(record.finished_ms.unwrap_or(ctx.now_ms));
    let user = if record.submitted_by.is_empty() {
        "(unknown)".to_owned()
    } else {
        record.submitted_by.clone()
    };
    let groups = [
        ("all", String::new()),
        ("user", user),
        ("brand", brand_of(ctx.store, record)?),
        ("type", record.kind.as_str().to_owned()),
    ];
    for (dimension, key) in groups {
        let bucket = bucket(&day, dimension, &key);
        if dimension != "all" && ctx.store.increment(&format!("{bucket}/seen"), 1)? == 1 {
            let i = ctx.store.increment(&list_counter(&day, dimension), 1)?;
            ctx.store
                .set(&list_slot(&day, dimension, i), key.as_bytes())?;
        }
        for (field, value) in FIELDS.iter().zip(figures) {
            if value != 0 {
                ctx.store.increment(&format!("{bucket}/{field}"), value)?;
            }
        }
    }
    Ok(())
}

/// The brand data document a job worked for: its `brand_data`, the one a brand data job wrote,
/// or (for a revision) the one its document was made for; [`NO_BRAND`] if none.
fn brand_of(store: &dyn Store, record: &JobRecord) -> StoreResult<String> {
    if let Some(brand) = record.params["brand_data"].as_str() {
        return Ok(brand.to_owned());
    }
    let output = record.outputs.first();
    Ok(match (record.kind, output) {
        (JobType::BrandData, Some(out)) => out.name.clone(),
        (JobType::Revision, Some(out)) => match out.collection() {
            Some(c) => Documents::new(store, c)
                .meta_named(&out.name)?
                .and_then(|m| m.sources?.brand_data)
                .unwrap_or_default(),
            None => NO_BRAND.to_owned(),
        },
        _ => NO_BRAND.to_owned(),
    })
}

/// The figures of one bucket (one counter read when no job ended in it).
fn read_bucket(store: &dyn Store, bucket: &str) -> StoreResult<[i64; 10]> {
    let mut figures = [0i64; 10];
    figures[0] = store.increment(&format!("{bucket}/{}", FIELDS[0]), 0)?;
    if figures[0] != 0 {
        for (i, field) in FIELDS.iter().enumerate().skip(1) {
            figures[i] = store.increment(&format!("{bucket}/{field}"), 0)?;
        }
    }
    Ok(figures)
}

/// The report for the days `days` (oldest first).
pub fn report(store: &dyn Store, group_by: GroupBy, days: &[String]) -> StoreResult<Vec<UsageRow>> {
    let mut rows: Vec<UsageRow> = Vec::new();
    for day in days {
        if group_by == GroupBy::Day {
            let mut row = UsageRow {
                key: day.clone(),
                ..UsageRow::default()
            };
            row.add(&read_bucket(store, &bucket(day, "all", ""))?);
            rows.push(row);
            continue;
        }
        let dimension = group_by.dimension();
        let n = store.increment(&list_counter(day, dimension), 0)?;
        if n == 0 {
            continue;
        }
        let slots: Vec<String> = (1..=n).map(|i| list_slot(day, dimension, i)).collect();
        for key in store.get_many(&slots)?.into_iter().flatten() {
            let key = String::from_utf8_lossy(&key).into_owned();
            let figures = read_bucket(store, &bucket(day, dimension, &key))?;
            match rows.iter_mut().find(|r| r.key == key) {
                Some(row) => row.add(&figures),
                None => {
                    let mut row = UsageRow {
                        key,
                        ..UsageRow::default()
                    };
                    row.add(&figures);
                    rows.push(row);
                }
            }
        }
    }
    if group_by != GroupBy::Day {
        rows.sort_by(|a, b| {
            b.cost_micro_usd
                .cmp(&a.cost_micro_usd)
                .then(b.jobs.cmp(&a.jobs))
                .then(a.key.cmp(&b.key))
        });
    }
    Ok(rows)
}

/// The days `from` to `to` (inclusive, `YYYY-MM-DD`) a request asks for: by default the last
/// [`DEFAULT_DAYS`] up to today; at most [`MAX_DAYS`].
fn days_asked(req: &ApiRequest, now_ms: i64) -> ApiResult<Vec<String>> {
    let date = |name: &str| -> ApiResult<Option<chrono::NaiveDate>> {
        match req.query_param(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    ApiError::BadRequest(format!("{name} {v:?} is not a date (YYYY-MM-DD)"))
                }),
        }
    };
    let today = chrono::DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .date_naive();
    let to = date("to")?.unwrap_or(today);
    let from = date("from")?.unwrap_or(to - chrono::Duration::days(DEFAULT_DAYS - 1));
    let span = (to - from).num_days() + 1;
    if span < 1 {
        return Err(ApiError::BadRequest("from is after to".into()));
    }
    if span > MAX_DAYS {
        return Err(ApiError::BadRequest(format!(
            "from and to are {span} days apart; a report covers at most {MAX_DAYS}"
        )));
    }
    Ok(from
        .iter_days()
        .take(span as usize)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect())
}

/// `GET /api/usage?group_by=day|user|brand|type&from=&to=`.
pub fn usage_get(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let raw = req.query_param("group_by").unwrap_or_else(|| "day".into());
    let group_by = GroupBy::parse(&raw).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "group_by {raw:?} is not one of day, user, brand, type"
        ))
    })?;
    let days = days_asked(req, ctx.now_ms)?;
    let rows = report(ctx.store, group_by, &days)?;
    let mut totals = UsageRow::default();
    for row in &rows {
        totals.add(&row.figures());
    }
    let report = UsageReport {
        group_by,
        from: days[0].clone(),
        to: days[days.len() - 1].clone(),
        rows,
        totals,
    };
    Ok(ApiResponse::json(200, &report).with_header("cache-control", "no-store"))
}

//! The filters of the job listing (`GET /api/jobs`): status, type, text, submitter and a window
//! of creation times. They are read from the query and checked whole before the listing reads
//! anything, so a bad value is a 400 that costs no store call.

use chrono::{DateTime, NaiveDate};

use super::model::{JobRecord, JobType, Status};
use crate::error::{ApiError, ApiResult};
use crate::http::ApiRequest;

/// Longest `q` (characters).
pub const MAX_QUERY_CHARS: usize = 200;
/// Longest `submitted_by` (characters): an email address at most.
pub const MAX_SUBMITTER_CHARS: usize = 320;
/// Instances' clocks may disagree a little, so creation order and creation time can cross near
/// the `from` bound: the newest-first walk stops only at a job this much older than `from`.
const CLOCK_SLACK_MS: i64 = 60_000;

/// What a listing keeps. Every part is optional; all given parts must match.
#[derive(Debug, Default)]
pub struct JobFilter {
    pub status: Option<Status>,
    pub kind: Option<JobType>,
    /// Lower-cased: a substring of a title, keyword, brand, document name or submitter.
    pub text: Option<String>,
    /// Lower-cased: who submitted the job, exactly.
    pub submitted_by: Option<String>,
    /// Created at or after (epoch ms).
    pub from_ms: Option<i64>,
    /// Created before (epoch ms, exclusive).
    pub before_ms: Option<i64>,
}

impl JobFilter {
    /// The filter a request's query asks for; 400 naming the first bad parameter.
    pub fn from_request(req: &ApiRequest) -> ApiResult<Self> {
        let param = |name: &str| req.query_param(name).filter(|v| !v.trim().is_empty());
        let status = param("status")
            .map(|s| {
                Status::parse(s.trim()).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "status {s:?} is not one of {}",
                        known(&[
                            "queued",
                            "running",
                            "waiting",
                            "completed",
                            "failed",
                            "cancelled"
                        ])
                    ))
                })
            })
            .transpose()?;
        let kind = param("type").map(|t| parse_type(t.trim())).transpose()?;
        let text = param("q")
            .map(|q| bounded("q", q.trim(), MAX_QUERY_CHARS))
            .transpose()?;
        let submitted_by = param("submitted_by")
            .map(|s| bounded("submitted_by", s.trim(), MAX_SUBMITTER_CHARS))
            .transpose()?;
        let from_ms = param("from")
            .map(|v| instant("from", v.trim(), Bound::Start))
            .transpose()?;
        let before_ms = param("to")
            .map(|v| instant("to", v.trim(), Bound::End))
            .transpose()?;
        if let (Some(from), Some(before)) = (from_ms, before_ms)
            && from >= before
        {
            return Err(ApiError::BadRequest(
                "from is after to: the window holds no time".into(),
            ));
        }
        Ok(JobFilter {
            status,
            kind,
            text,
            submitted_by,
            from_ms,
            before_ms,
        })
    }

    /// Whether nothing is filtered out.
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.kind.is_none()
            && self.text.is_none()
            && self.submitted_by.is_none()
            && self.from_ms.is_none()
            && self.before_ms.is_none()
    }

    /// Whether `record` is one the listing keeps.
    pub fn matches(&self, record: &JobRecord) -> bool {
        self.status.is_none_or(|s| s == record.status)
            && self.kind.is_none_or(|k| k == record.kind)
            && self
                .submitted_by
                .as_ref()
                .is_none_or(|by| record.submitted_by.to_lowercase() == *by)
            && self.from_ms.is_none_or(|from| record.created_ms >= from)
            && self
                .before_ms
                .is_none_or(|before| record.created_ms < before)
            && self.text.as_ref().is_none_or(|q| mentions(record, q))
    }

    /// Whether the newest-first walk may stop at `record`: it, and so every older job, was
    /// created before the window (give or take the clocks' slack).
    pub fn is_past(&self, record: &JobRecord) -> bool {
        self.from_ms
            .is_some_and(|from| record.created_ms < from.saturating_sub(CLOCK_SLACK_MS))
    }
}

/// Whether any of the names a person knows a job by holds `q` (lower case): the title, the
/// keywords, the brand, the brief, the brand data, the documents it reads and writes, and who
/// submitted it.
fn mentions(record: &JobRecord, q: &str) -> bool {
    let p = &record.params;
    let fields = [
        "title",
        "primary_keyword",
        "brand_name",
        "brand_data",
        "brief",
        "name",
    ];
    let params = fields.iter().filter_map(|f| p.get(*f)?.as_str());
    let keywords = p
        .get("secondary_keywords")
        .and_then(|k| k.as_array())
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str());
    let documents = record
        .outputs
        .iter()
        .chain(&record.output_documents)
        .chain(&record.inputs)
        .map(|d| d.name.as_str());
    params
        .chain(keywords)
        .chain(documents)
        .chain([record.submitted_by.as_str()])
        .any(|text| text.to_lowercase().contains(q))
}

fn parse_type(raw: &str) -> ApiResult<JobType> {
    JobType::KNOWN
        .into_iter()
        .find(|t| t.as_str() == raw)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "type {raw:?} is not one of {}",
                known(&JobType::KNOWN.map(JobType::as_str))
            ))
        })
}

fn bounded(name: &str, value: &str, max: usize) -> ApiResult<String> {
    if value.chars().count() > max {
        return Err(ApiError::BadRequest(format!(
            "{name} is longer than {max} characters"
        )));
    }
    Ok(value.to_lowercase())
}

fn known(values: &[&str]) -> String {
    values.join(", ")
}

#[derive(Clone, Copy, PartialEq)]
enum Bound {
    /// `from`: a date means its first moment.
    Start,
    /// `to`: a date means up to its end, a time up to and including it.
    End,
}

/// A `from` or `to` value as the epoch ms that bounds the window: a date (`YYYY-MM-DD`, a UTC
/// day) or an RFC 3339 time. `to` gives the first excluded ms.
fn instant(name: &str, raw: &str, bound: Bound) -> ApiResult<i64> {
    let bad = || {
        let plus = if raw.contains(' ') {
            " (send a + in the offset as %2B)"
        } else {
            ""
        };
        ApiError::BadRequest(format!(
            "{name} {raw:?} is not a date (YYYY-MM-DD) or an RFC 3339 time such as \
             2026-01-31T09:00:00Z{plus}"
        ))
    };
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = match bound {
            Bound::Start => Some(day),
            Bound::End => day.succ_opt(),
        };
        return day
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
            .ok_or_else(bad);
    }
    let ms = DateTime::parse_from_rfc3339(raw)
        .map_err(|_| bad())?
        .timestamp_millis();
    Ok(if bound == Bound::End { ms + 1 } else { ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(query: &str) -> ApiResult<JobFilter> {
        JobFilter::from_request(&ApiRequest::new("GET", &format!("/api/jobs?{query}")))
    }

    #[test]
    fn dates_are_whole_utc_days_and_times_are_inclusive() {
        let f = filter("from=2026-01-05&to=2026-01-05").unwrap();
        assert_eq!(f.from_ms, Some(1_767_571_200_000));
        assert_eq!(f.before_ms, Some(1_767_571_200_000 + 86_400_000));
        let f = filter("from=2026-01-05T10:00:00%2B01:00&to=2026-01-05T09:00:00.500Z").unwrap();
        assert_eq!(f.from_ms, Some(1_767_571_200_000 + 9 * 3_600_000));
        assert_eq!(f.before_ms, Some(1_767_571_200_000 + 9 * 3_600_000 + 501));
    }

    #[test]
    fn bad_values_are_refused_with_what_would_do() {
        let message = |q: &str| match filter(q) {
            Err(ApiError::BadRequest(m)) => m,
            other => panic!("{q}: {other:?}"),
        };
        assert!(message("type=poem").contains("brand_data, brief, draft, revision"));
        assert!(message("status=lost").contains("queued"));
        assert!(message("from=yesterday").contains("YYYY-MM-DD"));
        assert!(message("to=2026-01-05T09:00:00+01:00").contains("%2B"));
        assert!(message("from=2026-02-01&to=2026-01-31").contains("after"));
        assert!(message(&format!("q={}", "x".repeat(201))).contains("200"));
        assert!(message("from=2026-02-30").contains("from"));
        assert!(filter("q=&type=&status=").unwrap().is_empty());
    }
}

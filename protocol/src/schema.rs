//! What `derive(utoipa::ToSchema)` cannot say on its own (only with `feature = "openapi"`): the
//! enums read leniently with `#[serde(other)]` have a catch-all variant that is no wire value, so
//! their schemas list the known values by hand, and the literals in `#[schema(...)]` attributes
//! are checked against the limits they repeat.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::{Action, JobType};

/// A string schema allowing only `values`.
fn known_values(
    values: impl IntoIterator<Item = &'static str>,
    description: &str,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

impl PartialSchema for JobType {
    fn schema() -> RefOr<Schema> {
        known_values(
            JobType::KNOWN.map(JobType::as_str),
            "What a job generates. Readers take any other value (a newer server's) as unknown.",
        )
    }
}

impl ToSchema for JobType {}

impl PartialSchema for Action {
    fn schema() -> RefOr<Schema> {
        known_values(
            Action::KNOWN.map(Action::as_str),
            "What the server wants done with an attempt: `continue`; `cancel` (a user cancelled \
             the job: stop the process, finish as `cancelled`); `abandon` (the attempt is no \
             longer this runner's: stop the process, report nothing). Runners treat any other \
             value (a newer server's) as `continue`.",
        )
    }
}

impl ToSchema for Action {}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::limits::MAX_SLOTS;
    use crate::{ClaimRequest, FinalStatus, FinishRequest, LogKind, LogLine};

    fn schema_of<T: PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).unwrap()
    }

    #[test]
    fn lenient_enums_list_their_wire_values_only() {
        // `json!` names them as serde does; the schemas name them with `as_str`.
        for (schema, known) in [
            (
                schema_of::<JobType>(),
                JobType::KNOWN.map(|k| json!(k)).to_vec(),
            ),
            (
                schema_of::<Action>(),
                Action::KNOWN.map(|a| json!(a)).to_vec(),
            ),
        ] {
            let values = schema["enum"].as_array().unwrap();
            assert_eq!(values, &known);
            assert!(!values.contains(&json!("unknown")), "{schema}");
        }
        assert_eq!(
            serde_json::from_value::<JobType>(json!("podcast")).unwrap(),
            JobType::Unknown
        );
    }

    #[test]
    fn schema_literals_agree_with_the_limits() {
        let claim = schema_of::<ClaimRequest>();
        let slots = &claim["properties"]["slots"];
        assert_eq!(slots["maximum"], json!(MAX_SLOTS));
        assert_eq!(slots["default"], json!(1));
        assert_eq!(claim["additionalProperties"], json!(false));
        assert!(
            !claim["required"]
                .as_array()
                .unwrap()
                .contains(&json!("slots"))
        );
        // `limits::valid_runner_name` as a regular expression.
        let pattern = claim["properties"]["runner"]["pattern"].as_str().unwrap();
        assert_eq!(pattern, "^[A-Za-z0-9._-]{1,64}$");
        let finish = schema_of::<FinishRequest>();
        assert!(finish["properties"]["resume_at_ms"].is_object(), "{finish}");
        assert_eq!(finish["required"], json!(["status"]), "{finish}");
        assert_eq!(
            schema_of::<FinalStatus>()["enum"],
            json!(["completed", "failed", "cancelled", "usage_limit"])
        );
        let line = schema_of::<LogLine>();
        assert_eq!(
            line["properties"]["kind"]["default"],
            json!(LogKind::default().as_str()),
            "{line}"
        );
    }
}

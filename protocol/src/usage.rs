//! What a run cost, from the CLI's final `result` line.

use serde::{Deserialize, Serialize};

/// Figures of one attempt. Every field defaults to zero, so records written before a field
/// existed still read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Usage {
    /// `total_cost_usd`: everything the run cost, subagents included.
    pub cost_usd: f64,
    /// Main-loop input tokens (`usage.input_tokens`, without cache reads and writes).
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    /// `usage.server_tool_use.web_search_requests`.
    pub web_search_requests: u64,
    /// `usage.server_tool_use.web_fetch_requests`.
    pub web_fetch_requests: u64,
    /// `duration_ms` as the CLI measured it.
    pub duration_ms: u64,
    /// `duration_api_ms`: time spent waiting on the model.
    pub duration_api_ms: u64,
    pub num_turns: u64,
    /// Tool calls the CLI refused under the permission rules (`permission_denials`).
    pub permission_denials: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_round_trips_and_old_records_read() {
        let usage = Usage {
            cost_usd: 0.25,
            input_tokens: 1,
            output_tokens: 2,
            cache_read_input_tokens: 3,
            cache_creation_input_tokens: 4,
            web_search_requests: 5,
            web_fetch_requests: 6,
            duration_ms: 7,
            duration_api_ms: 8,
            num_turns: 9,
            permission_denials: 10,
        };
        let json = serde_json::to_string(&usage).unwrap();
        assert_eq!(serde_json::from_str::<Usage>(&json).unwrap(), usage);
        let old: Usage = serde_json::from_str(
            r#"{"cost_usd":1.0,"input_tokens":1,"output_tokens":2,"duration_ms":3,"num_turns":4}"#,
        )
        .unwrap();
        assert_eq!(old.cache_read_input_tokens, 0);
        assert!(serde_json::from_str::<Usage>(r#"{"costs":1}"#).is_err());
    }
}

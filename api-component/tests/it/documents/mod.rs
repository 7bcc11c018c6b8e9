//! Documents: every endpoint and every error row of the contract.
//!
//! `content`: what is stored and shown (round trips, previews); `errors`: what is refused and
//! changes nothing; `writes`: concurrent edits, conditional reads, chunking, parallel writers;
//! `listing`: pages and their parameters.

use api_component::http::ApiRequest;
use api_component::settings::Settings;
use api_component::store::Store;
use serde_json::json;

use crate::support::{App, assert_error};

mod content;
mod errors;
mod listing;
mod writes;

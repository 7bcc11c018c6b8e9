//! Black-box tests of the API through `api_component::handle`, against the in-memory store.

mod access;
mod assets;
mod contract;
mod documents;
mod history;
mod jobs;
mod layers;
mod openapi;
mod quality;
mod search;
mod support;
mod upload;
mod webhooks;
mod world;

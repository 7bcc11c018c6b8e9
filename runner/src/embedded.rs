//! What the build script embeds: the component's bytes (`COMPONENT_WASM`) and the text of every
//! `.wit` file in the repository's `wit/` (`WIT_FILES`, paths relative to `wit/`).

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

//! The prompt templates, compiled into the component from `instructions/`, and their versions:
//! a job records the name and SHA-256 of the template its prompt was rendered from (hashed on
//! first use), so that a result can be traced to the exact instructions that made it.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One instruction file.
pub struct Template {
    /// Its file name under `instructions/`.
    pub name: &'static str,
    pub text: &'static str,
    sha256: OnceLock<String>,
}

impl Template {
    const fn new(name: &'static str, text: &'static str) -> Self {
        Template {
            name,
            text,
            sha256: OnceLock::new(),
        }
    }

    /// The hex SHA-256 of the file as compiled in.
    pub fn sha256(&self) -> &str {
        self.sha256.get_or_init(|| {
            Sha256::digest(self.text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
    }

    /// What a job records about it.
    pub fn version(&self) -> TemplateVersion {
        TemplateVersion {
            name: self.name.to_owned(),
            sha256: self.sha256().to_owned(),
        }
    }

    /// The prompt: each `{{key}}` replaced with its value (see [`super::submit::render`]).
    pub fn render(&self, values: &[(&str, &str)]) -> String {
        super::submit::render(self.text, values)
    }
}

/// The template a job's prompt was rendered from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateVersion {
    /// The file under `instructions/`.
    pub name: String,
    /// The hex SHA-256 of the file the prompt was rendered from.
    pub sha256: String,
}

pub static BRAND_DATA: Template = Template::new(
    "brand_data_generation_instructions.md",
    include_str!("../../../instructions/brand_data_generation_instructions.md"),
);
pub static BRIEF: Template = Template::new(
    "brief_generation_instructions.md",
    include_str!("../../../instructions/brief_generation_instructions.md"),
);
pub static DRAFT: Template = Template::new(
    "draft_generation_instructions.md",
    include_str!("../../../instructions/draft_generation_instructions.md"),
);
pub static REVISION: Template = Template::new(
    "revision_instructions.md",
    include_str!("../../../instructions/revision_instructions.md"),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_hash_the_compiled_file() {
        let v = BRIEF.version();
        assert_eq!(v.name, "brief_generation_instructions.md");
        assert_eq!(v.sha256.len(), 64);
        assert_eq!(v.sha256, BRIEF.sha256(), "hashed once, the same each time");
        assert_ne!(v.sha256, DRAFT.sha256());
        let empty = Template::new("x", "");
        assert_eq!(
            empty.sha256(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

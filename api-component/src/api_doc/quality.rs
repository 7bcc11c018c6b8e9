//! The description of the quality gates (a document's checks) and of a job's prompt.

use super::*;
use crate::jobs::views::JobPrompt as PromptView;
use crate::quality::Report;

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        DocQuality => Described::new(
            "docQuality",
            "documents",
            "Check a brief or draft against its brief, keywords and brand",
        )
        .describe(
            "Grades the current version from its text alone: a brief against the keywords of \
             the job that made it, a draft against its brief, its target length and its brand \
             data (its `sources`). The query may name others, for documents no job made. Check \
             ids are stable (`brief.sections` … `brief.word_target`, `draft.word_count` … \
             `draft.banned_terms`; the README describes each); `score` is their average (pass \
             1, warn ½, fail 0) × 100, rounded.",
        )
        .parameter(query(
            "primary_keyword",
            "The primary keyword to check against",
            string(),
        ))
        .parameter(query(
            "secondary_keywords",
            "Secondary keywords, comma-separated (at most 20)",
            string(),
        ))
        .parameter(query(
            "brief",
            "Drafts: the brief to compare with",
            string(),
        ))
        .parameter(query(
            "brand_data",
            "Drafts: the brand data whose words to avoid and reading level apply",
            string(),
        ))
        .parameter(query(
            "target_word_count",
            "Drafts: the length aimed at",
            integer(Some(100), Some(20_000)).into(),
        ))
        .answer(200, json_response("Every check", s.of::<Report>()))
        .refuse(
            400,
            "An invalid name, a bad keyword or target, or a draft's parameter for a brief",
        )
        .refuse(
            404,
            "No such document, or brand data (checks are for briefs and drafts)",
        )
        .refuse(422, "The `brief` or `brand_data` named does not exist"),
        JobPrompt => Described::new(
            "jobPrompt",
            "jobs",
            "The prompt a job was given, and its template",
        )
        .describe(
            "The prompt as rendered when the job was queued, with the name and SHA-256 of the \
             instruction file it was rendered from, so that a result can be traced to what \
             asked for it.",
        )
        .answer(200, json_response("The prompt", s.of::<PromptView>()))
        .refuse(
            404,
            "No job with this id, or its prompt is no longer stored",
        ),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}

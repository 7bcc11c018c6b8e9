//! The description of a document's history: its versions and the trash.

use super::*;
use crate::documents::trash::TrashPage;
use crate::documents::versions::VersionList;

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        DocVersions => Described::new("docVersions", "documents", "A document's versions")
            .describe(
                "Every write (upload, edit, job output, approved revision, restore) is a \
                 version; the newest is the current content. The last `version_retention` are \
                 kept.",
            )
            .answer(200, json_response("Newest first", s.of::<VersionList>()))
            .refuse(400, "An invalid document name")
            .refuse(404, "No such document"),
        DocVersionGet => Described::new("docVersionGet", "documents", "One version's content")
            .answer(
                200,
                ResponseBuilder::new()
                    .description("The content as it was (brand data as JSON, else Markdown)")
                    .content("application/json", Content::new(Some(object())))
                    .content("text/markdown", Content::new(Some(string())))
                    .header("ETag", etag_header())
                    .build(),
            )
            .refuse(400, "An invalid document name or version number")
            .refuse(404, "No such document, or that version is no longer kept"),
        DocVersionRestore => Described::new(
            "docVersionRestore",
            "documents",
            "Make a version's content current again",
        )
        .describe(
            "Writes the version's content as a new version (source `restore:<version>`); the \
             versions in between stay.",
        )
        .parameter(header(
            "If-Match",
            "Restore only over this version (`*`: any)",
        ))
        .answer(200, stored_item("Restored", s))
        .refuse(400, "An invalid document name or version number")
        .refuse(404, "No such document, or that version is no longer kept")
        .refuse(412, "`If-Match` does not name the current version"),
        TrashList => Described::new("trashList", "documents", "Deleted documents")
            .describe(
                "Newest deletion first. Each can be restored until `purge_at` (`trash_days` \
                 after the deletion), when it is removed with its versions.",
            )
            .parameter(limit(handlers::DEFAULT_LIMIT, handlers::MAX_LIMIT))
            .parameter(cursor())
            .answer(200, json_response("One page", s.of::<TrashPage>()))
            .refuse(400, "A bad limit or cursor"),
        TrashRestore => Described::new(
            "trashRestore",
            "documents",
            "Bring a deleted document back",
        )
        .describe(
            "The version that was current when it was deleted becomes the document again, as a \
             new version (source `restore:<version>`); its history comes back with it.",
        )
        .answer(201, stored_item("Restored", s))
        .refuse(400, "An invalid document name")
        .refuse(404, "Not in the trash (never deleted, restored, or purged)")
        .refuse(409, "A document of that name exists again"),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}

//! The description of the documents: listing, upload, reading, writing, deleting, and the
//! Markdown preview, stored or unsaved.

use utoipa::openapi::schema::ArrayBuilder;

use super::*;
use crate::handlers::Uploaded;

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        Render => Described::new(
            "renderMarkdown",
            "documents",
            "Render unsaved Markdown as the document preview would",
        )
        .describe(
            "The editor's live preview: the body is rendered and sanitized exactly as `GET \
             /api/{collection}/{name}/preview` renders a stored Markdown document. Nothing is \
             stored. The body may be at most `max_document_bytes` (a document that large could \
             not be saved either).",
        )
        .stateless()
        .body(text_body(&["text/markdown", "text/plain"], "Markdown"))
        .answer(200, html_response("The sanitized HTML fragment"))
        .refuse(400, "The body is not UTF-8")
        .refuse(413, "The body is over `max_document_bytes`")
        .refuse(
            415,
            "The body is labelled as something other than Markdown or plain text",
        ),
        DocsList => Described::new("docsList", "documents", "List documents, newest first")
            .describe(
                "Every write moves a document to the top. With `q`, the search of \
                 `GET /api/search` in this collection instead.",
            )
            .parameter(limit(handlers::DEFAULT_LIMIT, handlers::MAX_LIMIT))
            .parameter(cursor())
            .parameter(search::docs_list_q())
            .answer(200, search::docs_list_page(s))
            .refuse(
                400,
                "A bad limit or cursor, or a bad `q` (see `GET /api/search`)",
            ),
        DocsUpload => Described::new(
            "docsUpload",
            "documents",
            "Upload one or more files (browser form)",
        )
        .describe(
            "Each file is stored under its name, or one derived from it the way generated \
             documents are named (`Acme Brand Data (final).json` → \
             `acme-brand-data-final.json`). A file that cannot be stored (wrong extension, \
             unreadable or invalid content, a name another file of the upload took) is \
             reported in `files` and the others are stored; only when none can be stored is \
             the upload refused, naming every file's reason. A file with an existing name \
             replaces it (the old content stays as a version).",
        )
        .body(multipart_files())
        .answer(
            201,
            json_response("At least one file stored", s.of::<Uploaded>()),
        )
        .refuse(
            400,
            "A malformed body, no `file` part, or no file that could be stored",
        )
        .refuse(
            413,
            "The body is over `max_upload_bytes`, or its one file over `max_document_bytes`",
        )
        .refuse(415, "The body is not `multipart/form-data` with a boundary")
        .refuse(
            422,
            "No file could be stored, the first being brand data that is not a JSON object",
        ),
        DocGet => Described::new("docGet", "documents", "Document content as stored")
            .parameter(header(
                "If-None-Match",
                "ETags the client has: 304 if one is current",
            ))
            .answer(
                200,
                ResponseBuilder::new()
                    .description("The content (brand data as JSON, briefs and drafts as Markdown)")
                    .content("application/json", Content::new(Some(object())))
                    .content("text/markdown", Content::new(Some(string())))
                    .header("ETag", etag_header())
                    .build(),
            )
            .answer(
                304,
                ResponseBuilder::new()
                    .description("Unchanged since the given ETag")
                    .header("ETag", etag_header())
                    .build(),
            )
            .refuse(400, "An invalid document name")
            .refuse(404, "No such document"),
        DocPut => Described::new("docPut", "documents", "Create or replace a document")
            .describe(
                "The body may be labelled with the collection's type, `text/plain`, \
                 `application/octet-stream` or a form type (as `curl -d` sends).",
            )
            .parameter(header(
                "If-Match",
                "Replace only this version (`*`: only if the document exists)",
            ))
            .body(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .description(Some(
                        "Brand data: a JSON object; briefs and drafts: UTF-8 Markdown",
                    ))
                    .content("application/json", Content::new(Some(object())))
                    .content("text/markdown", Content::new(Some(string())))
                    .content("text/plain", Content::new(Some(string())))
                    .build(),
            )
            .answer(200, stored_item("Replaced", s))
            .answer(201, stored_item("Created", s))
            .refuse(
                400,
                "An invalid document name, or a body that is empty, not UTF-8 or not JSON",
            )
            .refuse(412, "`If-Match` does not name the current version")
            .refuse(413, "The body is over `max_document_bytes`")
            .refuse(
                415,
                "The body is labelled as something the collection does not hold",
            )
            .refuse(422, "Brand data that is not a JSON object"),
        DocDelete => Described::new("docDelete", "documents", "Delete a document")
            .answer(204, ResponseBuilder::new().description("Deleted").build())
            .refuse(400, "An invalid document name")
            .refuse(404, "No such document"),
        DocPreview => Described::new("docPreview", "documents", "Sanitized HTML preview")
            .describe(
                "Markdown rendered and sanitized; brand data pretty-printed and escaped inside \
                 `<pre>`.",
            )
            .answer(200, html_response("The HTML fragment"))
            .refuse(400, "An invalid document name")
            .refuse(404, "No such document"),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}

fn multipart_files() -> RequestBody {
    let files = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "file",
            ArrayBuilder::new().items(binary()).min_items(Some(1)),
        )
        .required("file")
        .description(Some(
            "One `file` part per document, its filename the document's name; other parts are \
             ignored",
        ));
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("multipart/form-data", Content::new(Some(files)))
        .build()
}

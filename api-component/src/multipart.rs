//! Reads the `file` parts of a `multipart/form-data` body (browser uploads) with `multer`.
//! The body is already in memory, so the parser's future completes without waiting.

use bytes::Bytes;
use futures::executor::block_on;

use crate::error::{ApiError, ApiResult};

/// `(file name, content)` of every part named `file`, in order; other parts are ignored.
pub fn files(content_type: &str, body: &[u8]) -> ApiResult<Vec<(String, Vec<u8>)>> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::UnsupportedMediaType("uploads must be multipart/form-data with a boundary".into())
    })?;
    let body = Bytes::copy_from_slice(body);
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let bad = |e: multer::Error| ApiError::BadRequest(format!("malformed multipart body: {e}"));
    block_on(async {
        let mut files = Vec::new();
        while let Some(field) = parts.next_field().await.map_err(bad)? {
            if field.name() != Some("file") {
                continue;
            }
            let name = field
                .file_name()
                .map(str::to_owned)
                .ok_or_else(|| ApiError::BadRequest("a `file` part has no filename".into()))?;
            let data = field.bytes().await.map_err(bad)?;
            files.push((name, data.to_vec()));
        }
        Ok(files)
    })
}

//! Which files Notion accepts: the table of supported extensions and MIME types (*Working
//! with files and media*), how a filename and a content type complete each other, and which
//! types each media block takes.

use super::errors::NotionError;

/// The longest filename, in bytes.
const MAX_FILENAME: usize = 900;

/// The supported file types (Notion's table of extensions and MIME types): each extension
/// with the MIME types it may carry, the first one the type inferred from the extension.
const TYPES: &[(&str, &[&str])] = &[
    ("aac", &["audio/aac"]),
    ("adts", &["audio/aac"]),
    ("mid", &["audio/midi"]),
    ("midi", &["audio/midi"]),
    ("mp3", &["audio/mpeg"]),
    ("mpga", &["audio/mpeg"]),
    ("m4a", &["audio/mp4"]),
    ("m4b", &["audio/mp4"]),
    ("oga", &["audio/ogg"]),
    ("ogg", &["audio/ogg"]),
    ("wav", &["audio/wav"]),
    ("wma", &["audio/x-ms-wma"]),
    ("pdf", &["application/pdf"]),
    ("txt", &["text/plain"]),
    ("json", &["application/json"]),
    ("doc", &["application/msword"]),
    ("dot", &["application/msword"]),
    ("docx", &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]),
    ("dotx", &["application/vnd.openxmlformats-officedocument.wordprocessingml.template"]),
    ("xls", &["application/vnd.ms-excel"]),
    ("xlt", &["application/vnd.ms-excel"]),
    ("xla", &["application/vnd.ms-excel"]),
    ("xlsx", &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]),
    ("xltx", &["application/vnd.openxmlformats-officedocument.spreadsheetml.template"]),
    ("ppt", &["application/vnd.ms-powerpoint"]),
    ("pot", &["application/vnd.ms-powerpoint"]),
    ("pps", &["application/vnd.ms-powerpoint"]),
    ("ppa", &["application/vnd.ms-powerpoint"]),
    ("pptx", &["application/vnd.openxmlformats-officedocument.presentationml.presentation"]),
    ("potx", &["application/vnd.openxmlformats-officedocument.presentationml.template"]),
    ("gif", &["image/gif"]),
    ("heic", &["image/heic"]),
    ("jpeg", &["image/jpeg"]),
    ("jpg", &["image/jpeg"]),
    ("png", &["image/png"]),
    ("svg", &["image/svg+xml"]),
    ("tif", &["image/tiff"]),
    ("tiff", &["image/tiff"]),
    ("webp", &["image/webp"]),
    ("ico", &["image/vnd.microsoft.icon"]),
    ("amv", &["video/x-amv"]),
    ("asf", &["video/x-ms-asf"]),
    ("wmv", &["video/x-ms-asf"]),
    ("avi", &["video/x-msvideo"]),
    ("f4v", &["video/x-f4v"]),
    ("flv", &["video/x-f4v"]),
    ("gifv", &["video/mp4", "application/mp4"]),
    ("m4v", &["video/mp4", "application/mp4"]),
    ("mp4", &["video/mp4", "application/mp4", "audio/mp4"]),
    ("mkv", &["video/webm"]),
    ("webm", &["video/webm"]),
    ("mov", &["video/quicktime"]),
    ("qt", &["video/quicktime"]),
    ("mpeg", &["video/mpeg"]),
];

/// `text/plain; charset=utf-8` → `text/plain`.
pub(crate) fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

fn extension(filename: &str) -> Option<String> {
    let (stem, ext) = filename.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

fn supported(content_type: &str) -> bool {
    TYPES.iter().any(|(_, mimes)| mimes.contains(&content_type))
}

fn unsupported(content_type: &str) -> NotionError {
    NotionError::validation(format!(
        "The content type `{content_type}` is not supported. See the list of supported file types in Notion's file upload guide."
    ))
}

/// Checks a filename and a content type together (either may be unknown yet) and completes
/// them as Notion does: the content type inferred from the extension, an extension added
/// from the content type. Returns `(filename, content_type)`.
pub(crate) fn settle(
    filename: Option<&str>,
    content_type: Option<&str>,
) -> Result<(Option<String>, Option<String>), NotionError> {
    if let Some(name) = filename
        && name.len() > MAX_FILENAME
    {
        return Err(NotionError::validation(format!(
            "body failed validation: body.filename.length should be ≤ `{MAX_FILENAME}`, instead was `{}`.",
            name.len()
        )));
    }
    let content_type = content_type.map(essence).filter(|c| !c.is_empty());
    if let Some(ct) = &content_type
        && !supported(ct)
    {
        return Err(unsupported(ct));
    }
    let ext = filename.and_then(extension);
    let known = ext.as_deref().and_then(|e| TYPES.iter().find(|(x, _)| *x == e));
    match (filename, ext.as_deref(), known, content_type) {
        (Some(name), Some(e), None, _) => Err(NotionError::validation(format!(
            "The file extension `.{e}` of `{name}` is not supported. See the list of supported file types in Notion's file upload guide."
        ))),
        (Some(name), Some(e), Some((_, mimes)), Some(ct)) if !mimes.contains(&ct.as_str()) => {
            Err(NotionError::validation(format!(
                "The file extension `.{e}` of `{name}` does not match the content type `{ct}`."
            )))
        }
        (Some(name), Some(_), Some((_, mimes)), ct) => {
            Ok((Some(name.to_string()), Some(ct.unwrap_or_else(|| mimes[0].to_string()))))
        }
        (Some(name), None, _, Some(ct)) => {
            let ext = TYPES.iter().find(|(_, m)| m.contains(&ct.as_str())).map_or("", |(x, _)| *x);
            Ok((Some(format!("{name}.{ext}")), Some(ct)))
        }
        (name, _, _, ct) => Ok((name.map(String::from), ct)),
    }
}

/// The blocks that take a file object.
pub(crate) const MEDIA_BLOCKS: &[&str] = &["image", "video", "pdf", "file", "audio"];

/// Which MIME types a media block takes ("you can't use a video in an image block").
pub(crate) fn fits_block(kind: &str, content_type: &str) -> bool {
    match kind {
        "image" => content_type.starts_with("image/"),
        "video" => content_type.starts_with("video/") || content_type == "application/mp4",
        "audio" => content_type.starts_with("audio/"),
        "pdf" => content_type == "application/pdf",
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_type_is_inferred_from_the_extension_and_an_extension_added_from_it() {
        assert_eq!(settle(Some("a.PNG"), None).unwrap(), (Some("a.PNG".into()), Some("image/png".into())));
        assert_eq!(
            settle(Some("notes"), Some("text/plain; charset=utf-8")).unwrap(),
            (Some("notes.txt".into()), Some("text/plain".into()))
        );
        assert_eq!(settle(None, None).unwrap(), (None, None));
    }

    #[test]
    fn unsupported_types_and_mismatched_extensions_are_refused() {
        assert!(settle(Some("a.zip"), None).unwrap_err().message.contains(".zip"));
        assert!(settle(None, Some("application/zip")).unwrap_err().message.contains("application/zip"));
        assert!(settle(Some("a.png"), Some("image/gif")).unwrap_err().message.contains("does not match"));
        assert!(settle(Some("clip.mp4"), Some("audio/mp4")).is_ok());
    }
}

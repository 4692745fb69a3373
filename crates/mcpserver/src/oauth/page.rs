//! The small result page a browser sees at the end of a connect flow when no front end URL
//! is configured. Everything shown is escaped; no secret or raw provider body is ever on it.

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete page with a heading and one paragraph.
pub fn render(title: &str, message: &str, ok: bool) -> String {
    let colour = if ok { "#1f7a3f" } else { "#a4262c" };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;\
         margin:4rem auto;padding:0 1rem;color:#222}}h1{{color:{colour};font-size:1.5rem}}</style>\
         </head><body><h1 id=\"result\">{title}</h1><p id=\"message\">{message}</p>\
         <p>You can close this window.</p></body></html>",
        title = escape(title),
        message = escape(message),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_messages_is_escaped() {
        let page = render("Jira <b>", "<script>alert('x')</script> & \"q\"", false);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"));
        assert!(page.contains("Jira &lt;b&gt;"));
    }
}

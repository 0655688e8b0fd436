//! The link policy: which markdown link destinations may become an `href`.
//!
//! Owns the allowlist. Only absolute `http:`, `https:` and `mailto:` URLs become links;
//! everything else (`javascript:`, `data:`, `vbscript:`, `file:`, relative paths, `#anchors`,
//! protocol-relative `//host`) is shown as plain text. Relative links are refused because in
//! an embedded widget they would resolve against the host page, not against anything the
//! reply's author could know. It must not know about markdown syntax or the DOM.

/// The schemes a link may use, lower case, with what must follow the colon.
const ALLOWED_PREFIXES: [&str; 3] = ["http://", "https://", "mailto:"];

/// The `href` for a link destination, or `None` if the destination must not be a link.
///
/// The destination is taken as the markdown parser decoded it (entities and backslash
/// escapes resolved, surrounding spaces stripped). The scheme must be the very first thing in
/// it: browsers strip leading spaces and control characters and drop tabs and newlines inside
/// a URL, so anything before or inside the scheme could hide `javascript:`. Destinations
/// containing control characters are refused for the same reason. The scheme is normalised
/// to lower case; the rest is kept as written.
pub fn allowed_href(dest: &str) -> Option<String> {
    if dest.chars().any(|c| c.is_control()) {
        return None;
    }
    ALLOWED_PREFIXES.iter().find_map(|prefix| {
        let head = dest.get(..prefix.len())?;
        if head.eq_ignore_ascii_case(prefix) {
            Some([prefix, &dest[prefix.len()..]].concat())
        } else {
            None
        }
    })
}

/// The `href` for an image destination, or `None`. Images become links (never `<img>`), and
/// only to `http:`/`https:`: a `mailto:` "image" is not something a reader expects to open.
pub fn allowed_image_href(dest: &str) -> Option<String> {
    allowed_href(dest).filter(|href| !href.starts_with("mailto:"))
}

/// Whether an `href` in the output satisfies the policy: the invariant that tests (and a
/// cautious view) can check on every rendered link.
pub fn is_allowed_href(href: &str) -> bool {
    !href.chars().any(|c| c.is_control())
        && ALLOWED_PREFIXES
            .iter()
            .any(|prefix| href.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_and_mail_links_are_allowed_with_a_lower_case_scheme() {
        assert_eq!(
            allowed_href("https://example.com/a?b#c").as_deref(),
            Some("https://example.com/a?b#c")
        );
        assert_eq!(
            allowed_href("HTTP://Example.com").as_deref(),
            Some("http://Example.com")
        );
        assert_eq!(
            allowed_href("MailTo:someone@example.com").as_deref(),
            Some("mailto:someone@example.com")
        );
    }

    #[test]
    fn script_and_data_schemes_are_refused() {
        for dest in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "https:\nx",
        ] {
            assert_eq!(allowed_href(dest), None, "{dest:?}");
        }
    }

    #[test]
    fn relative_and_protocol_relative_links_are_refused() {
        for dest in [
            "/path",
            "#x",
            "page.html",
            "//evil.example/x",
            "",
            "http:/x",
        ] {
            assert_eq!(allowed_href(dest), None, "{dest:?}");
        }
    }

    #[test]
    fn images_only_link_to_the_web() {
        assert!(allowed_image_href("https://example.com/a.png").is_some());
        assert_eq!(allowed_image_href("mailto:a@example.com"), None);
    }

    #[test]
    fn the_invariant_check_agrees_with_the_policy() {
        assert!(is_allowed_href("https://x"));
        assert!(!is_allowed_href("HTTPS://x"));
        assert!(!is_allowed_href("javascript:alert(1)"));
    }
}

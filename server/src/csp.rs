//! The Content-Security-Policy rill-server sends, in one place, so the README, the tests and
//! the server name the same text.
//!
//! The app's policy allows no inline script or style and no `eval`: only the app's own files
//! run (`'wasm-unsafe-eval'` lets them compile the wasm bundles, nothing more). `connect-src`
//! is open to any http(s) origin because the chat endpoint is the user's choice. The test
//! routes get `sandbox`: what they send is never a page of this origin.

/// `frame-ancestors` when `--frame-ancestors` is not given: only the app's own origin may
/// frame it.
pub const DEFAULT_FRAME_ANCESTORS: &str = "'self'";

/// The policy of every `/test/…` answer.
pub const TEST_ROUTES_POLICY: &str = "sandbox";

/// The app's policy (sent with the built app's files), with `frame_ancestors` as the
/// `frame-ancestors` sources (none: [`DEFAULT_FRAME_ANCESTORS`]). The sources must have
/// passed [`parse_frame_ancestors`].
pub fn app_policy(frame_ancestors: &[String]) -> String {
    let ancestors = if frame_ancestors.is_empty() {
        DEFAULT_FRAME_ANCESTORS.to_string()
    } else {
        frame_ancestors.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self' http: https:; \
         object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )
}

/// The sources of one `--frame-ancestors` value (several may be separated by spaces):
/// refused if empty or if a source holds `;` or `,` (which would end the directive or the
/// policy and let a flag add directives of its own) or a control character.
pub fn parse_frame_ancestors(text: &str) -> Result<Vec<String>, String> {
    let sources: Vec<String> = text.split_ascii_whitespace().map(str::to_string).collect();
    if sources.is_empty() {
        return Err("expected one or more sources, e.g. 'self' or https://host.example".into());
    }
    for source in &sources {
        if source
            .chars()
            .any(|c| c == ';' || c == ',' || c.is_control() || !c.is_ascii())
        {
            return Err(format!(
                "{source:?}: a frame-ancestors source cannot hold `;`, `,`, control or non-ASCII characters"
            ));
        }
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_has_no_unsafe_inline_or_eval_and_names_its_ancestors() {
        let policy = app_policy(&[]);
        assert!(!policy.contains("'unsafe-inline'") && !policy.contains("'unsafe-eval'"));
        assert!(policy.ends_with("; frame-ancestors 'self'"), "{policy}");
        let two = vec!["'self'".to_string(), "https://host.example".to_string()];
        assert!(app_policy(&two).ends_with("; frame-ancestors 'self' https://host.example"));
    }

    #[test]
    fn frame_ancestors_that_would_break_the_policy_are_refused() {
        assert_eq!(
            parse_frame_ancestors(" 'self'  https://a.example ").expect("ok"),
            ["'self'", "https://a.example"]
        );
        assert_eq!(parse_frame_ancestors("'none'").expect("ok"), ["'none'"]);
        for bad in [
            "",
            "  ",
            "'self'; script-src *",
            "a,b",
            "a\u{7}b",
            "h\u{e9}.example",
        ] {
            assert!(parse_frame_ancestors(bad).is_err(), "{bad:?}");
        }
    }
}

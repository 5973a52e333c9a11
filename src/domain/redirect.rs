//! Where people may go: the pages that need a signed-in person, and where to send a person
//! after they sign in (only a path on this site).

/// Where people land after signing in when no (acceptable) `next` was given.
pub const DEFAULT_AFTER_SIGN_IN: &str = "/todos";

/// The pages only a signed-in person may see (and what is under them): routes of the app
/// (a test checks that each is one), and what the middleware that sends the signed-out to
/// sign-in reads (`http::authenticate`).
pub const PROTECTED_PAGES: &[&str] = &["/todos", "/account"];

/// Accepts `next` only when it is a relative path on our own site: it starts with a single
/// `/`, has no backslash (browsers read `\` as `/`, so `/\evil.com` would leave the site),
/// no control characters or whitespace, and is of reasonable length. Anything else gives
/// the default landing page, so an attacker cannot turn sign-in into an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n))
        .map(str::to_owned)
        .unwrap_or_else(|| DEFAULT_AFTER_SIGN_IN.to_owned())
}

fn is_local_path(next: &str) -> bool {
    let bytes = next.as_bytes();
    next.len() <= 2048
        && bytes.first() == Some(&b'/')
        && bytes.get(1) != Some(&b'/')
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
        && !next.to_ascii_lowercase().contains("%2f%2f")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn relative_paths_are_kept() {
        assert_eq!(safe_next(Some("/todos")), "/todos");
        assert_eq!(safe_next(Some("/todos?edit=1#x")), "/todos?edit=1#x");
    }

    #[test]
    fn anything_that_could_leave_the_site_falls_back_to_the_task_list() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            " /todos",
            "/todos\n",
            "/%2F%2Fevil.example",
            "/\tevil",
        ] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_AFTER_SIGN_IN, "{bad:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_AFTER_SIGN_IN);
    }

    proptest! {
        #[test]
        fn the_result_is_always_a_single_slash_path(s in "\\PC{0,40}") {
            let out = safe_next(Some(&s));
            prop_assert!(out.starts_with('/'));
            prop_assert!(!out.starts_with("//"));
            prop_assert!(!out.contains('\\'));
        }
    }
}

//! What a careless draft leaves behind: placeholders and boilerplate (`TODO`, `[insert`,
//! `lorem ipsum`, `as an AI`) and links that are not absolute http(s) addresses.

/// Placeholders and boilerplate in the raw text: `TODO` (as a word, in capitals), `[insert`,
/// `lorem ipsum` and `as an AI` (any case), each with how often and its first line.
pub fn placeholders(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    let mut report = |what: &str, hits: Vec<usize>| {
        if let Some(first) = hits.first() {
            let line = text[..*first].matches('\n').count() + 1;
            let times = if hits.len() > 1 {
                format!(" ×{}", hits.len())
            } else {
                String::new()
            };
            found.push(format!("“{what}”{times} (line {line})"));
        }
    };
    let word_at = |i: usize, len: usize| {
        let before = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after = text[i + len..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        before && after
    };
    report(
        "TODO",
        text.match_indices("TODO")
            .map(|(i, _)| i)
            .filter(|i| word_at(*i, 4))
            .collect(),
    );
    for pattern in ["[insert", "lorem ipsum", "as an ai"] {
        let hits: Vec<usize> = lower
            .match_indices(pattern)
            .map(|(i, _)| i)
            .filter(|i| {
                pattern != "as an ai"
                    || lower[i + pattern.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_alphanumeric())
            })
            .collect();
        let shown = if pattern == "as an ai" {
            "as an AI"
        } else {
            pattern
        };
        report(shown, hits);
    }
    found
}

/// An absolute http(s) URL with a host name of dot-separated labels (or `localhost`), an
/// optional port, and no spaces or characters a URL never holds unescaped.
pub fn well_formed(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
    {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    host == "localhost" || (labels.len() >= 2 && labels.iter().all(label_ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for good in [
            "https://example.com",
            "http://a.b.example/x?y=1#z",
            "https://localhost:8080/p",
            "https://bücher.de/x",
        ] {
            assert!(well_formed(good), "{good}");
        }
        for bad in [
            "www.example.com",
            "/blog/post",
            "htp://x.com",
            "https://",
            "https://exa mple.com",
            "https://nodot",
            "https://x.com:99999",
            "javascript:alert(1)",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn placeholders_found_with_lines() {
        let found = placeholders(
            "# T\n\nTODO: write\n\n[Insert stat] and Lorem ipsum.\nAs an AI language model, TODOs and TODO.\n",
        );
        assert_eq!(
            found,
            [
                "“TODO” ×2 (line 3)",
                "“[insert” (line 5)",
                "“lorem ipsum” (line 5)",
                "“as an AI” (line 6)"
            ]
        );
        assert!(placeholders("Mastodon todo list, as an aid.").is_empty());
    }
}

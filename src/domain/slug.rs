//! Slugs: the stable, readable key of an incident in URLs and links.

pub const MAX_SLUG_LEN: usize = 100;
const GENERATED_SLUG_LEN: usize = 80;
/// Addresses under `/incidents/` that are pages, not reports.
const RESERVED: &[&str] = &["new", "happened-before"];

/// Checks a slug given by a writer: lowercase ASCII letters and digits in
/// groups joined by single hyphens.
pub fn validate_slug(slug: &str) -> Result<String, String> {
    let well_formed = !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if RESERVED.contains(&slug) {
        Err(format!("`{slug}` is kept for the site's own pages: choose another slug"))
    } else if well_formed {
        Ok(slug.to_string())
    } else {
        Err(format!(
            "a slug is 1 to {MAX_SLUG_LEN} lowercase letters and digits, in words joined by single hyphens, like `dns-outage-2013-05-20`"
        ))
    }
}

/// Makes a slug from a title: ASCII letters and digits kept, everything else
/// a word break, cut at a word boundary. `None` if nothing usable remains.
pub fn slug_from_title(title: &str) -> Option<String> {
    let mut slug = String::new();
    for word in title.split(|c: char| !c.is_ascii_alphanumeric()).filter(|word| !word.is_empty()) {
        let word = word.to_ascii_lowercase();
        let extra = if slug.is_empty() { word.len() } else { word.len() + 1 };
        if slug.len() + extra > GENERATED_SLUG_LEN {
            if slug.is_empty() {
                slug.push_str(&word[..GENERATED_SLUG_LEN]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    if RESERVED.contains(&slug.as_str()) {
        slug.push_str("-incident");
    }
    (!slug.is_empty()).then_some(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_readable_slugs() {
        assert_eq!(
            slug_from_title("static.crates.io DNS record removed (2023-01-25)").as_deref(),
            Some("static-crates-io-dns-record-removed-2023-01-25")
        );
        assert_eq!(slug_from_title("Café: ünïcode only!").as_deref(), Some("caf-n-code-only"));
        assert_eq!(slug_from_title("!!!"), None);
        let long = "word ".repeat(40);
        assert!(slug_from_title(&long).unwrap().len() <= GENERATED_SLUG_LEN);
    }

    #[test]
    fn only_well_formed_slugs_are_accepted() {
        assert!(validate_slug("dns-outage-2013").is_ok());
        for bad in ["", "-a", "a-", "a--b", "A-b", "a b", "a/b", &"a".repeat(101)] {
            assert!(validate_slug(bad).is_err(), "{bad:?}");
        }
    }
}

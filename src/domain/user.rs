//! People who sign in: their names and roles.

pub const MAX_USER_NAME_LEN: usize = 64;

/// Checks and normalises a user name: 1 to 64 lowercase letters, digits,
/// dots, hyphens and underscores, starting with a letter or digit.
pub fn validate_user_name(name: &str) -> Result<String, String> {
    let name = name.trim().to_lowercase();
    let valid = !name.is_empty()
        && name.len() <= MAX_USER_NAME_LEN
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "a user name is 1 to {MAX_USER_NAME_LEN} letters, digits, dots, hyphens or underscores, starting with a letter or digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_lowercased_and_checked() {
        assert_eq!(validate_user_name(" Ada.Lovelace ").as_deref(), Ok("ada.lovelace"));
        for bad in ["", "-ada", "ada lovelace", "ada@example.com", &"a".repeat(65)] {
            assert!(validate_user_name(bad).is_err(), "{bad:?}");
        }
    }
}

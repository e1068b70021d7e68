//! People who sign in: their names, and the rules for the API tokens they
//! hold. The settings page and `hindsight token add` both ask for a token
//! through `TokenRequest::validate`.

use super::taxonomy::{Role, Scope};
use super::validation::ValidationErrors;

pub const MAX_USER_NAME_LEN: usize = 64;
pub const MAX_TOKEN_NAME_CHARS: usize = 100;
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// A token someone asked for, checked: a name to recognise it by, what it
/// may do, and how many days it lasts (`None`: until revoked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub scope: Scope,
    pub valid_for_days: Option<u32>,
}

impl TokenRequest {
    /// Checks a request for a token that acts as someone with `role`, as
    /// typed: a reader's token may only read. Each problem is named by its
    /// field (`name`, `scope`, `expires_in_days`).
    pub fn validate(name: &str, scope: &str, days: &str, role: Role) -> Result<TokenRequest, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS || name.chars().any(char::is_control) {
            errors.add(
                "name",
                format!(
                    "give the token a name of 1 to {MAX_TOKEN_NAME_CHARS} characters, so you can recognise it later"
                ),
            );
        }
        let scope = Scope::parse(scope.trim());
        match scope {
            None => errors.add("scope", "choose read or write"),
            Some(Scope::Write) if role < Role::Writer => errors.add("scope", format!("a {role}'s token can only read")),
            Some(_) => {}
        }
        let days = days.trim();
        let valid_for_days = match days {
            "" => None,
            text => {
                let days = text.parse::<u32>().ok().filter(|d| (1..=MAX_TOKEN_DAYS).contains(d));
                if days.is_none() {
                    errors.add(
                        "expires_in_days",
                        format!("expiry is a number of days from 1 to {MAX_TOKEN_DAYS}, or empty for never"),
                    );
                }
                days
            }
        };
        match scope {
            Some(scope) if errors.is_empty() => Ok(TokenRequest { name: name.to_string(), scope, valid_for_days }),
            _ => Err(errors),
        }
    }
}

/// The shortest password a person may choose; generated ones are longer.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest, as the sign-in form accepts it.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Checks a password a person chose for themselves, typed twice. Each
/// problem is named by its field (`new_password`, `confirm`).
pub fn check_new_password(new: &str, confirm: &str) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if new.chars().count() < MIN_PASSWORD_CHARS {
        errors.add("new_password", format!("choose a password of at least {MIN_PASSWORD_CHARS} characters"));
    } else if new.len() > MAX_PASSWORD_BYTES {
        errors.add("new_password", format!("choose a password of at most {MAX_PASSWORD_BYTES} bytes"));
    } else if new.trim().is_empty() {
        errors.add("new_password", "a password of spaces alone is too easy to guess");
    }
    if new != confirm {
        errors.add("confirm", "the two new passwords differ: type the same one twice");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

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
    fn a_token_needs_a_name_a_scope_the_role_allows_and_a_bounded_expiry() {
        let asked = TokenRequest::validate(" deploys ", "write", "30", Role::Writer).unwrap();
        assert_eq!(asked, TokenRequest { name: "deploys".into(), scope: Scope::Write, valid_for_days: Some(30) });
        assert_eq!(TokenRequest::validate("ci", "read", "", Role::Reader).unwrap().valid_for_days, None);
        let refused =
            |name, scope, days, role| TokenRequest::validate(name, scope, days, role).unwrap_err().0[0].field.clone();
        assert_eq!(refused("", "read", "", Role::Admin), "name");
        let long = "x".repeat(101);
        assert_eq!(refused(&long, "read", "", Role::Admin), "name");
        assert_eq!(refused("ci", "admin", "", Role::Admin), "scope");
        assert_eq!(refused("ci", "write", "", Role::Reader), "scope");
        assert_eq!(refused("ci", "read", "0", Role::Admin), "expires_in_days");
        assert_eq!(refused("ci", "read", "3651", Role::Admin), "expires_in_days");
    }

    #[test]
    fn a_chosen_password_is_long_enough_and_typed_twice_alike() {
        assert!(check_new_password("correct horse battery", "correct horse battery").is_ok());
        let fields = |new, confirm| -> Vec<String> {
            check_new_password(new, confirm).unwrap_err().0.into_iter().map(|error| error.field).collect()
        };
        assert_eq!(fields("short", "short"), ["new_password"]);
        assert_eq!(fields("            ", "            "), ["new_password"]);
        assert_eq!(fields("correct horse battery", "correct horse"), ["confirm"]);
        let long = "x".repeat(1025);
        assert_eq!(fields(&long, &long), ["new_password"]);
    }

    #[test]
    fn user_names_are_lowercased_and_checked() {
        assert_eq!(validate_user_name(" Ada.Lovelace ").as_deref(), Ok("ada.lovelace"));
        for bad in ["", "-ada", "ada lovelace", "ada@example.com", &"a".repeat(65)] {
            assert!(validate_user_name(bad).is_err(), "{bad:?}");
        }
    }
}

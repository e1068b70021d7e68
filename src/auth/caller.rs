//! The caller of a request, from its `Authorization: Bearer` token, and the
//! rules of what each caller may do, in one place.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use time::OffsetDateTime;

use super::tokens::hash_token;
use crate::app::AppState;
use crate::domain::{Role, Scope};
use crate::error::AppError;
use crate::store::User;

/// A token's last use is written at most this often, not on every request.
const TOUCH_EVERY_SECONDS: i64 = 300;

/// Who is asking: nobody in particular, or a user through a token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<User>,
    pub scope: Scope,
    /// Known by a browser session's cookie rather than a token.
    pub by_session: bool,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller { user: None, scope: Scope::Read, by_session: false }
    }

    fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|user| user.role)
    }

    /// Writers and admins may read drafts and reports in review.
    pub fn sees_drafts(&self) -> bool {
        self.role() >= Some(Role::Writer)
    }

    /// Changing reports needs a writer, through a token with write scope.
    pub fn may_write(&self) -> Result<(), AppError> {
        match (self.role(), self.scope) {
            (None, _) => {
                Err(AppError::Unauthorized("send a token with write scope as `Authorization: Bearer …`".into()))
            }
            (Some(role), _) if role < Role::Writer => {
                Err(AppError::Forbidden(format!("a {role} may read but not change reports")))
            }
            (Some(_), _) if self.by_session => Err(AppError::Forbidden(
                "a browser session writes through the forms; the API needs a token with write scope".into(),
            )),
            (Some(_), Scope::Read) => {
                Err(AppError::Forbidden("this token has read scope; writing needs write scope".into()))
            }
            (Some(_), Scope::Write) => Ok(()),
        }
    }

    /// A report's revisions hold text from before it was published, so only
    /// writers read them.
    pub fn may_read_history(&self) -> Result<(), AppError> {
        match self.role() {
            None => Err(AppError::Unauthorized("a report's revisions are for writers: send a writer's token".into())),
            Some(role) if role < Role::Writer => {
                Err(AppError::Forbidden(format!("a {role} may read reports but not their revisions")))
            }
            Some(_) => Ok(()),
        }
    }

    /// Managing people and tokens, and reading the audit log, need an admin.
    pub fn may_administer(&self) -> Result<(), AppError> {
        match self.role() {
            None => Err(AppError::Unauthorized("send an admin's token as `Authorization: Bearer …`".into())),
            Some(Role::Admin) => Ok(()),
            Some(role) => Err(AppError::Forbidden(format!("only an admin may do this, not a {role}"))),
        }
    }

    /// The name revisions and logs record for this caller.
    pub fn actor(&self) -> &str {
        self.user.as_ref().map_or("anonymous", |user| user.name.as_str())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            // A browser's session identifies its user for reading; writes
            // through the API still need a token, so no form on another
            // site can ride on the cookie.
            let session = super::session::current(&state.store, &parts.headers).await?;
            let user = session.map(|session| session.user);
            return Ok(Caller { by_session: user.is_some(), user, scope: Scope::Read });
        };
        let Some(token) = bearer_token(value.to_str().unwrap_or_default()) else {
            return Err(AppError::Unauthorized("use `Authorization: Bearer <token>`".into()));
        };
        let invalid = || AppError::Unauthorized("the token is not valid".into());
        let grant = state.store.find_token(&hash_token(token)).await?.ok_or_else(invalid)?;
        if grant.revoked {
            return Err(AppError::Unauthorized("the token has been revoked".into()));
        }
        if grant.expires_at.is_some_and(|at| at <= OffsetDateTime::now_utc()) {
            return Err(AppError::Unauthorized("the token has expired".into()));
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        if grant.last_used_at.is_none_or(|at| now - at > TOUCH_EVERY_SECONDS) {
            state.store.touch_token(grant.id, now).await?;
        }
        crate::request_log::note_user(&grant.user.name);
        Ok(Caller { user: Some(grant.user), scope: grant.scope, by_session: false })
    }
}

/// The token of an `Authorization: Bearer …` header. The scheme's name is
/// case-insensitive (RFC 9110 §11.1), and spaces around the token do not count.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A caller who may change reports; anyone else is refused with 401 or 403
/// before the handler runs.
pub struct Writer(pub Caller);

impl FromRequestParts<AppState> for Writer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.may_write()?;
        Ok(Writer(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        for value in ["Bearer hst_abc", "bearer hst_abc", "BEARER  hst_abc ", " Bearer\u{20}hst_abc"] {
            assert_eq!(bearer_token(value), Some("hst_abc"), "{value:?}");
        }
        for value in ["Basic hst_abc", "Bearer", "Bearer   ", "Bearerhst_abc", "hst_abc"] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}

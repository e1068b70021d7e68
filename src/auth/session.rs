//! Browser sessions and the protections around the forms they post: a
//! random session id in an HttpOnly, SameSite=Lax cookie (Secure when
//! configured), rotated at every sign-in and expiring when idle and at an
//! absolute limit; a CSRF token checked in constant time; and a refusal of
//! any state-changing request that comes from another site.

use axum::http::{header, HeaderMap, HeaderValue};

use super::password::random_text;
use super::tokens::hash_token;
use crate::domain::reported_time::now_to_the_second;
use crate::error::AppError;
use crate::store::{SessionRecord, Store};

pub const SESSION_COOKIE: &str = "hindsight_session";
/// Before sign-in there is no session; the sign-in form's CSRF token is
/// paired with this cookie instead (double submit).
pub const FORM_COOKIE: &str = "hindsight_form";
/// A session unused this long ends.
pub const IDLE_LIMIT_SECONDS: i64 = 12 * 3600;
/// No session lives longer than this.
pub const ABSOLUTE_LIMIT_SECONDS: i64 = 7 * 24 * 3600;
/// Last-seen times are written at most this often, not on every request.
const TOUCH_EVERY_SECONDS: i64 = 300;
const SECRET_LEN: usize = 40;

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, whole site, and Secure
/// when the site is served over https. An empty value with no age clears it.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    match max_age {
        Some(seconds) => cookie.push_str(&format!("; Max-Age={seconds}")),
        None if value.is_empty() => cookie.push_str("; Max-Age=0"),
        None => {}
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

pub fn new_secret() -> Result<String, AppError> {
    random_text(SECRET_LEN).map_err(AppError::Internal)
}

/// Starts a session for `user_id` and returns the cookie's secret. A new
/// secret every sign-in: an id planted before sign-in is worth nothing after.
pub async fn start(store: &Store, user_id: i64) -> Result<String, AppError> {
    let secret = new_secret()?;
    let csrf = new_secret()?;
    store.create_session(&hash_token(&secret), user_id, &csrf, now_to_the_second().unix_timestamp()).await?;
    Ok(secret)
}

/// The live session behind the request's cookie, if any. An expired one is
/// removed.
pub async fn current(store: &Store, headers: &HeaderMap) -> Result<Option<SessionRecord>, AppError> {
    let Some(secret) = cookie(headers, SESSION_COOKIE).filter(|s| !s.is_empty()) else { return Ok(None) };
    let id_hash = hash_token(secret);
    let Some(session) = store.find_session(&id_hash).await? else { return Ok(None) };
    let now = now_to_the_second().unix_timestamp();
    if now - session.last_seen_at > IDLE_LIMIT_SECONDS || now - session.created_at > ABSOLUTE_LIMIT_SECONDS {
        store.delete_session(&id_hash).await?;
        return Ok(None);
    }
    if now - session.last_seen_at > TOUCH_EVERY_SECONDS {
        store.touch_session(&id_hash, now).await?;
    }
    crate::request_log::note_user(&session.user.name);
    Ok(Some(session))
}

pub async fn end(store: &Store, headers: &HeaderMap) -> Result<(), AppError> {
    if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        store.delete_session(&hash_token(secret)).await?;
    }
    Ok(())
}

/// Equal in time whatever the inputs, so a mismatch reveals nothing about
/// where it is.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut difference = a.len() ^ b.len();
    for index in 0..a.len().max(b.len()) {
        difference |= usize::from(a.get(index).copied().unwrap_or(0) ^ b.get(index).copied().unwrap_or(0));
    }
    difference == 0
}

/// Refuses a state-changing request sent from another site: judged by
/// `Sec-Fetch-Site` when the browser sends it, else by `Origin` against
/// `Host`.
pub fn same_origin(headers: &HeaderMap) -> Result<(), AppError> {
    let forbidden = || AppError::Forbidden("this form was sent from another site".into());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return Err(forbidden());
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest).trim_end_matches('/');
        if origin == "null" || !origin_host.eq_ignore_ascii_case(host) {
            return Err(forbidden());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_and_written_with_their_flags() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; hindsight_session=abc; b=2"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
        let set = set_cookie(SESSION_COOKIE, "abc", Some(60), true);
        assert_eq!(set, "hindsight_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
        assert!(set_cookie(SESSION_COOKIE, "", None, false).to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn comparison_is_exact() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(!constant_time_eq("", "a"));
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        assert!(same_origin(&headers(&[("host", "kb.example"), ("origin", "https://kb.example")])).is_ok());
        assert!(same_origin(&headers(&[("host", "kb.example")])).is_ok(), "no Origin: a same-site form or a tool");
        assert!(same_origin(&headers(&[("host", "kb.example"), ("origin", "https://evil.example")])).is_err());
        assert!(same_origin(&headers(&[("host", "kb.example"), ("origin", "null")])).is_err());
        assert!(same_origin(&headers(&[("sec-fetch-site", "cross-site")])).is_err());
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-site")])).is_err());
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])).is_ok());
    }
}

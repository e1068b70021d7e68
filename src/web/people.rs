//! `/admin/people` and `/admin/tokens`: an admin adds people (their
//! password shown once), changes roles, disables someone who left (which
//! ends their sessions and tokens at once) or lets them back, resets a
//! password, and sees and revokes every token. Each change is audited in
//! the store, in its own write.

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::extract::{check_form, unreadable, AdminSession};
use super::page::{page_with_status, sentence, Layout, WebError, WebPage};
use super::settings::TokenRow;
use crate::app::AppState;
use crate::auth;
use crate::domain::user::validate_user_name;
use crate::domain::Role;
use crate::error::AppError;
use crate::format;
use crate::store::{Person, SessionRecord, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/people", get(show).post(add))
        .route("/admin/people/{name}/{change}", post(change))
        .route("/admin/tokens", get(tokens))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
}

#[derive(askama::Template)]
#[template(path = "admin/people.html")]
struct PeoplePage {
    layout: Layout,
    csrf: String,
    me: String,
    roles: &'static [Role],
    people: Vec<PersonRow>,
    /// What the last change did, or why it was refused.
    outcome: Option<Outcome>,
    /// The add form as typed, when it was refused.
    typed_name: String,
    typed_role: String,
    errors: HashMap<String, String>,
}

impl WebPage for PeoplePage {}

impl PeoplePage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// A change's result, shown above the list.
enum Outcome {
    /// A password made for someone, shown this once.
    Password {
        name: String,
        password: String,
        added: bool,
    },
    Refused(String),
}

struct PersonRow {
    name: String,
    role: Role,
    added: String,
    last_sign_in: String,
    disabled: Option<String>,
    live_tokens: i64,
}

impl PersonRow {
    fn new(person: Person) -> PersonRow {
        let when = |at: i64| time::OffsetDateTime::from_unix_timestamp(at).map(format::date_time).unwrap_or_default();
        PersonRow {
            added: format!("{} by {}", when(person.created_at), person.created_by),
            last_sign_in: person.last_sign_in_at.map_or_else(|| "never".to_string(), when),
            disabled: person.disabled_at.map(when),
            name: person.name,
            role: person.role,
            live_tokens: person.live_tokens,
        }
    }
}

struct Shown {
    outcome: Option<Outcome>,
    typed_name: String,
    typed_role: String,
    errors: HashMap<String, String>,
}

impl Shown {
    fn outcome(outcome: Outcome) -> Shown {
        Shown { outcome: Some(outcome), typed_name: String::new(), typed_role: String::new(), errors: HashMap::new() }
    }
}

async fn render(
    state: &AppState,
    admin: &SessionRecord,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, WebError> {
    let people = state.store.people().await?;
    page_with_status(
        &PeoplePage {
            layout: Layout::new("People", "account"),
            csrf: admin.csrf_token.clone(),
            me: admin.user.name.clone(),
            roles: Role::ALL,
            people: people.into_iter().map(PersonRow::new).collect(),
            outcome: shown.outcome,
            typed_name: shown.typed_name,
            typed_role: shown.typed_role,
            errors: shown.errors,
        },
        status,
    )
}

async fn show(State(state): State<AppState>, AdminSession(admin): AdminSession) -> Result<Response, WebError> {
    let shown = Shown { outcome: None, typed_name: String::new(), typed_role: String::new(), errors: HashMap::new() };
    render(&state, &admin, shown, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminSession(admin): AdminSession,
    form: Result<Form<AddForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &admin, &form.csrf)?;
    let mut errors = HashMap::new();
    let name = validate_user_name(&form.name).map_err(|message| errors.insert("name".to_string(), sentence(&message)));
    let role = Role::parse(form.role.trim());
    if role.is_none() {
        errors.insert("role".to_string(), format!("Choose {}.", Role::choices()));
    }
    let refused =
        |errors| Shown { outcome: None, typed_name: form.name.clone(), typed_role: form.role.clone(), errors };
    let (Ok(name), Some(role)) = (name, role) else {
        return render(&state, &admin, refused(errors), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match auth::add_user(&state.store, &name, role, &admin.user.name).await {
        Ok((user, password)) => {
            let outcome = Outcome::Password { name: user.name, password, added: true };
            render(&state, &admin, Shown::outcome(outcome), StatusCode::CREATED).await
        }
        Err(error) => match error.downcast::<StoreError>() {
            Ok(StoreError::DuplicateName(name)) => {
                let errors = HashMap::from([("name".to_string(), format!("Someone is already called `{name}`."))]);
                render(&state, &admin, refused(errors), StatusCode::CONFLICT).await
            }
            Ok(other) => Err(AppError::from(other).into()),
            Err(other) => Err(AppError::Internal(other).into()),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// Runs a change to one person and shows the list again: what it made, or
/// why it was refused beside the list.
async fn changed(
    state: &AppState,
    admin: &SessionRecord,
    result: Result<Option<Outcome>, StoreError>,
) -> Result<Response, WebError> {
    match result {
        Ok(None) => Ok(Redirect::to("/admin/people").into_response()),
        Ok(Some(outcome)) => render(state, admin, Shown::outcome(outcome), StatusCode::OK).await,
        Err(StoreError::LastAdmin(reason)) => {
            render(state, admin, Shown::outcome(Outcome::Refused(sentence(&reason))), StatusCode::CONFLICT).await
        }
        Err(other) => Err(AppError::from(other).into()),
    }
}

/// One change to the person `name`: `role`, `disable`, `enable` or
/// `reset-password`.
async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminSession(admin): AdminSession,
    Path((name, change)): Path<(String, String)>,
    form: Result<Form<ChangeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &admin, &form.csrf)?;
    let (store, actor) = (&state.store, admin.user.name.as_str());
    let result = match change.as_str() {
        "role" => {
            let Some(role) = Role::parse(form.role.trim()) else {
                return Err(AppError::BadRequest(format!("a role is {}", Role::choices())).into());
            };
            store.set_role(actor, &name, role).await.map(|()| None)
        }
        "disable" if name == actor => {
            let refusal = Outcome::Refused("You cannot disable yourself: ask another admin.".into());
            return render(&state, &admin, Shown::outcome(refusal), StatusCode::CONFLICT).await;
        }
        "disable" => store.disable_user(actor, &name).await.map(|()| None),
        "enable" => store.enable_user(actor, &name).await.map(|()| None),
        "reset-password" => match auth::reset_password(store, &name, actor).await {
            Ok(password) => Ok(Some(Outcome::Password { name, password, added: false })),
            Err(error) => Err(error.downcast::<StoreError>().map_err(AppError::Internal)?),
        },
        _ => return Err(AppError::not_found("change to a person").into()),
    };
    changed(&state, &admin, result).await
}

#[derive(askama::Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    layout: Layout,
    csrf: String,
    owner: Option<String>,
    tokens: Vec<TokenRow>,
}

impl WebPage for TokensPage {}

#[derive(Debug, Default, Deserialize)]
struct TokensParams {
    owner: Option<String>,
}

async fn tokens(
    State(state): State<AppState>,
    AdminSession(admin): AdminSession,
    params: Result<Query<TokensParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let owner = params.ok().and_then(|Query(params)| params.owner).filter(|owner| !owner.trim().is_empty());
    let user_id = match &owner {
        Some(owner) => Some(state.store.get_user(owner.trim()).await?.ok_or_else(|| AppError::not_found("person"))?.id),
        None => None,
    };
    let tokens = state.store.list_tokens(user_id).await?;
    page_with_status(
        &TokensPage {
            layout: Layout::new("Tokens", "account"),
            csrf: admin.csrf_token.clone(),
            owner,
            tokens: tokens.iter().map(TokenRow::new).collect(),
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminSession(admin): AdminSession,
    Path(id): Path<i64>,
    form: Result<Form<RevokeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &admin, &form.csrf)?;
    if !state.store.revoke_token(&admin.user.name, None, id).await? {
        return Err(AppError::not_found("live token").into());
    }
    Ok(Redirect::to("/admin/tokens").into_response())
}

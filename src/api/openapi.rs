//! `GET /api/v1/openapi.json`: the API described as an OpenAPI 3.1
//! document, built from the handlers' `#[utoipa::path]` annotations and the
//! types they read and send. What every operation shares is added here once:
//! the bearer scheme, and the problem+json answers any request may get.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{OpenApi as _, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::domain::workflow::Announcement;
use crate::error::Problem;
use crate::store::Payload;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Hindsight",
        description = "A knowledge base of incident postmortems. Reading is open to anyone when the server allows \
                       public reading; otherwise, and for every write, send a token as `Authorization: Bearer …` \
                       (made on the Settings page, with read or write scope). Errors are \
                       `application/problem+json`. Writes name the version they change in `If-Match` and get 412 \
                       when it is stale. Lists page with `next_cursor`. Times are RFC 3339.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    tags(
        (name = "incidents", description = "Reports, their revisions and their place in the review workflow"),
        (name = "search", description = "Full-text search and similar reports"),
        (name = "labels", description = "Tags, services and organizations in use"),
        (name = "actions", description = "Action items across reports"),
        (name = "stats", description = "The numbers of the insights page"),
        (name = "tools", description = "Helpers for clients that file reports"),
        (name = "admin", description = "For administrators"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, mut document) =
            OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(super::PREFIX, super::routes()).split_for_parts();
        add_conventions(&mut document);
        document
    })
}

/// The document as JSON, written once.
fn document_json() -> Bytes {
    static JSON: OnceLock<Bytes> = OnceLock::new();
    JSON.get_or_init(|| Bytes::from(serde_json::to_vec(document()).expect("the OpenAPI document is JSON"))).clone()
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document_json()).into_response()
}

/// The name of the bearer scheme in the document.
pub const BEARER: &str = "bearer";

/// What every operation shares: reads may be made with a token or without
/// (when reading is public), and any request may get a problem back.
fn add_conventions(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).description(Some(
            "A token from the Settings page. Read scope reads what the token's owner may read; write scope also \
             files and edits reports.",
        ))
        .build()),
    );
    let mut schemas = vec![(Problem::name().into_owned(), <Problem as utoipa::PartialSchema>::schema())];
    <Problem as ToSchema>::schemas(&mut schemas);
    components.schemas.extend(schemas);
    components.responses.insert(
        "Problem".into(),
        RefOr::T(
            ResponseBuilder::new()
                .description("A problem, as RFC 9457 describes: what went wrong, and for invalid fields each by name")
                .content(
                    "application/problem+json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name(Problem::name()))).build(),
                )
                .build(),
        ),
    );
    document.webhooks = Some(webhooks(components));
    document.security = Some(vec![
        utoipa::openapi::security::SecurityRequirement::default(),
        utoipa::openapi::security::SecurityRequirement::new(BEARER, Vec::<String>::new()),
    ]);
    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            add_problems(operation);
        }
    }
}

/// What a registered webhook is sent (`webhooks`), one entry per event:
/// a signed JSON POST that any 2xx answer acknowledges.
fn webhooks(components: &mut utoipa::openapi::Components) -> utoipa::openapi::path::Paths {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, PathItem};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{ObjectBuilder, Required, Type};
    use utoipa::PartialSchema;

    let mut schemas = vec![(Payload::name().into_owned(), Payload::schema())];
    <Payload as ToSchema>::schemas(&mut schemas);
    components.schemas.extend(schemas);
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()
    };
    let mut paths = utoipa::openapi::path::Paths::new();
    for event in Announcement::ALL {
        let operation = OperationBuilder::new()
            .summary(Some(match event {
                Announcement::Published => "A report was published",
                Announcement::Updated => "A published report was changed",
                Announcement::Unpublished => "A published report went back to draft",
                Announcement::Deleted => "A published report was deleted",
            }))
            .description(Some(
                "Sent to every webhook registered before the write (`hindsight webhook add` or /admin/webhooks),                  each hook's in the order of the writes; tried again with growing pauses until a 2xx answer.",
            ))
            .parameter(header("X-Hindsight-Event", "The event, as in the body"))
            .parameter(header("X-Hindsight-Delivery", "The delivery's number: the same on a repeat"))
            .parameter(header(
                "X-Hindsight-Signature-256",
                "`sha256=` and the hex HMAC-SHA256 of the body, keyed with the webhook's secret",
            ))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name(Payload::name()))).build(),
                    )
                    .required(Some(Required::True))
                    .build(),
            ))
            .response("2XX", ResponseBuilder::new().description("Received: the delivery is done"))
            .build();
        paths.paths.insert(event.as_str().to_string(), PathItem::new(HttpMethod::Post, operation));
    }
    paths
}

/// The problems an operation may answer besides its own: any request may be
/// malformed, unauthenticated, too slow or meet a server that is not ready;
/// one with a body may send too much, the wrong type or invalid fields; one
/// with a path parameter may name nothing; a write may be refused, and one
/// that names the version it changes may name a stale one, or none.
fn add_problems(operation: &mut Operation) {
    let mut statuses = vec!["400", "401", "408", "500", "503"];
    if operation.request_body.is_some() {
        statuses.extend(["413", "415", "422"]);
    }
    let has_path_parameter = operation.parameters.iter().flatten().any(|parameter| match parameter {
        RefOr::T(parameter) => parameter.parameter_in == ParameterIn::Path,
        RefOr::Ref(_) => false,
    });
    if has_path_parameter {
        statuses.push("404");
    }
    // A write that names the version it changes may name a stale one, or none.
    let names_version = operation.parameters.iter().flatten().any(|parameter| match parameter {
        RefOr::T(parameter) => parameter.parameter_in == ParameterIn::Header && parameter.name == "If-Match",
        RefOr::Ref(_) => false,
    });
    if names_version {
        statuses.extend(["412", "428"]);
    }
    let needs_token = operation.security.as_ref().is_some_and(|requirements| !requirements.is_empty());
    if needs_token {
        statuses.push("403");
    }
    for status in statuses {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Problem")));
    }
}

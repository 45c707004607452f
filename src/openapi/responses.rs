//! The responses every operation shares (401, 429, 500, `4XX`, `5XX` as problem+json) and the
//! headers they carry (`WWW-Authenticate`, `Retry-After`, the rate-limit and CORS headers), added
//! by `contract::apply` to each operation the handlers declared.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, Header, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Type};

fn string_header(description: &str, max_length: usize, pattern: &str) -> Header {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(max_length))
        .pattern(Some(pattern))
        .build();
    let mut header = Header::new(schema);
    header.description = Some(description.to_owned());
    header
}

fn integer_header(description: &str) -> Header {
    let schema = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .minimum(Some(0))
        .maximum(Some(86_400))
        .build();
    let mut header = Header::new(schema);
    header.description = Some(description.to_owned());
    header
}

/// `RateLimit` and `RateLimit-Policy` (IETF draft syntax), on every answer of a limited operation.
fn rate_limit_headers(response: &mut Response) {
    response.headers.entry("RateLimit".to_owned()).or_insert_with(|| {
        string_header(
            "Sent with 429: `\"default\";r=0;t=<seconds until a request is allowed>` (other answers carry only `RateLimit-Policy`)",
            200,
            "^[ -~]*$",
        )
    });
    response
        .headers
        .entry("RateLimit-Policy".to_owned())
        .or_insert_with(|| {
            string_header(
                "The quota that applies: `\"default\";q=<requests>;w=<window seconds>`",
                200,
                "^[ -~]*$",
            )
        });
}

fn cors_header(response: &mut Response) {
    response.headers.entry("Access-Control-Allow-Origin".to_owned()).or_insert_with(|| {
        string_header(
            "Only when the request's `Origin` is in the configured allow-list (`STEMCARE_CORS_ORIGINS`): that origin",
            2048,
            "^[ -~]*$",
        )
    });
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn requires_credentials(operation: &Operation) -> bool {
    operation.security.as_ref().is_some_and(|requirements| {
        requirements.iter().any(|requirement| {
            serde_json::to_value(requirement)
                .ok()
                .and_then(|value| value.as_object().map(|object| !object.is_empty()))
                .unwrap_or(false)
        })
    })
}

pub(super) fn document_responses(operation: &mut Operation, rate_limited: bool, fhir: bool) {
    let secured = requires_credentials(operation);
    let responses = &mut operation.responses.responses;
    if secured {
        responses.entry("401".to_owned()).or_insert_with(|| {
            RefOr::T(problem(
                "Missing or invalid credentials (`WWW-Authenticate: Bearer`)",
            ))
        });
    }
    if rate_limited {
        responses
            .entry("429".to_owned())
            .or_insert_with(|| RefOr::T(problem("Too many requests: wait `Retry-After` seconds")));
    }
    responses.entry("4XX".to_owned()).or_insert_with(|| {
        RefOr::T(problem(
            "A problem: invalid input, missing or bad credentials, not allowed, not found, rate limited",
        ))
    });
    responses.entry("500".to_owned()).or_insert_with(|| {
        RefOr::T(if fhir {
            ResponseBuilder::new()
                .description("An internal error, as a FHIR OperationOutcome; the body never holds internals")
                .content("application/fhir+json", ContentBuilder::new().build())
                .build()
        } else {
            problem("An internal error; the body never holds internals")
        })
    });
    responses.entry("5XX".to_owned()).or_insert_with(|| {
        RefOr::T(problem(
            "A problem: internal error, or a dependency unavailable (retry after `Retry-After`)",
        ))
    });
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        if status == "401" {
            response
                .headers
                .entry("WWW-Authenticate".to_owned())
                .or_insert_with(|| {
                    string_header("The challenge: `Bearer realm=\"stemcare\"`", 200, "^Bearer ")
                });
        }
        if status == "429" {
            response
                .headers
                .entry("Retry-After".to_owned())
                .or_insert_with(|| integer_header("Seconds to wait before retrying"));
        }
        if rate_limited && (status.starts_with('2') || status.starts_with('4')) {
            rate_limit_headers(response);
        }
        if !response.headers.is_empty() {
            cors_header(response);
        }
    }
}

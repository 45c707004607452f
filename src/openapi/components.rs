//! Writes what every operation repeats once, under `components`, and refers to it by `$ref`: the
//! headers `contract` adds to every answer (rate limit, CORS, `Retry-After`, `WWW-Authenticate`)
//! go to `components.headers`, and error responses that differ at most in their description go to
//! `components.responses`. Runs last on the finished document, so what it shares is exactly what
//! was written inline: dereferenced, the document is the same contract.

use std::collections::BTreeMap;

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi, Ref, RefOr, Response};

/// Component names of the shared error responses by status, and the description a component
/// gets when no one description is used by most of its operations (RFC 9110 reason phrases).
const RESPONSE_NAMES: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "Bad Request"),
    ("401", "Unauthorized", "Unauthorized"),
    ("403", "Forbidden", "Forbidden"),
    ("404", "NotFound", "Not Found"),
    ("405", "MethodNotAllowed", "Method Not Allowed"),
    ("406", "NotAcceptable", "Not Acceptable"),
    ("409", "Conflict", "Conflict"),
    ("410", "Gone", "Gone"),
    ("412", "PreconditionFailed", "Precondition Failed"),
    ("413", "ContentTooLarge", "Content Too Large"),
    ("415", "UnsupportedMediaType", "Unsupported Media Type"),
    ("422", "UnprocessableContent", "Unprocessable Content"),
    ("428", "PreconditionRequired", "Precondition Required"),
    ("429", "TooManyRequests", "Too Many Requests"),
    ("4XX", "ClientError", "A client error"),
    ("500", "InternalServerError", "Internal Server Error"),
    ("502", "BadGateway", "Bad Gateway"),
    ("503", "ServiceUnavailable", "Service Unavailable"),
    ("504", "GatewayTimeout", "Gateway Timeout"),
    ("5XX", "ServerError", "A server error"),
];

/// Where the FHIR directory answers with an OperationOutcome instead of a problem.
const FHIR_JSON: &str = "application/fhir+json";

pub fn share(document: &mut OpenApi) {
    let headers = repeated_headers(document);
    share_responses(document);
    refer_to_headers(document, &headers);
}

fn operations_mut(document: &mut OpenApi) -> impl Iterator<Item = &mut Operation> {
    document.paths.paths.values_mut().flat_map(|item| {
        [
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
    })
}

fn inline_responses(document: &mut OpenApi) -> impl Iterator<Item = (&String, &mut Response)> {
    operations_mut(document).flat_map(|operation| {
        operation
            .responses
            .responses
            .iter_mut()
            .filter_map(|(status, response)| match response {
                RefOr::T(response) => Some((status, response)),
                RefOr::Ref(_) => None,
            })
    })
}

/// Each header name whose definition appears on two responses or more (its commonest definition).
fn repeated_headers(document: &mut OpenApi) -> BTreeMap<String, Header> {
    let mut seen: Vec<(String, Header, usize)> = Vec::new();
    for (_, response) in inline_responses(document) {
        for (name, header) in &response.headers {
            match seen.iter_mut().find(|(n, h, _)| n == name && h == header) {
                Some((_, _, count)) => *count += 1,
                None => seen.push((name.clone(), header.clone(), 1)),
            }
        }
    }
    let mut shared: BTreeMap<String, (Header, usize)> = BTreeMap::new();
    for (name, header, count) in seen.into_iter().filter(|(_, _, count)| *count >= 2) {
        let better = shared.get(&name).is_none_or(|(_, best)| count > *best);
        if better {
            shared.insert(name, (header, count));
        }
    }
    shared
        .into_iter()
        .map(|(name, (header, _))| (name, header))
        .collect()
}

/// The component a response would be shared as (its status's name, `Fhir`-prefixed when the
/// body is an OperationOutcome) and that status's reason phrase. Successes and responses with
/// links stay with their operation.
fn component_name(status: &str, response: &Response) -> Option<(String, &'static str)> {
    let (_, name, reason) = RESPONSE_NAMES.iter().find(|(code, _, _)| *code == status)?;
    if !response.links.is_empty() {
        return None;
    }
    let prefix = if response.content.contains_key(FHIR_JSON) {
        "Fhir"
    } else {
        ""
    };
    Some((format!("{prefix}{name}"), reason))
}

/// Responses with one component name and the same body apart from the description.
struct Group {
    body: Response,
    descriptions: Vec<String>,
    reason: &'static str,
}

impl Group {
    /// The description most of the operations use is the component's own, else the reason
    /// phrase; the other operations override it on their `$ref` (the OpenAPI 3.1 Reference
    /// Object's `description`).
    fn description(&self) -> String {
        let count = |d: &String| self.descriptions.iter().filter(|other| *other == d).count();
        let mut best: Option<(&String, usize)> = None;
        for description in &self.descriptions {
            let n = count(description);
            if best.is_none_or(|(_, most)| n > most) {
                best = Some((description, n));
            }
        }
        match best {
            Some((description, n)) if 2 * n > self.descriptions.len() => description.clone(),
            _ => self.reason.to_owned(),
        }
    }
}

fn without_description(response: &Response) -> Response {
    let mut body = response.clone();
    body.description = String::new();
    body
}

fn share_responses(document: &mut OpenApi) {
    let mut groups: BTreeMap<String, Vec<Group>> = BTreeMap::new();
    for (status, response) in inline_responses(document) {
        let Some((name, reason)) = component_name(status, response) else {
            continue;
        };
        let body = without_description(response);
        let variants = groups.entry(name).or_default();
        match variants.iter_mut().find(|group| group.body == body) {
            Some(group) => group.descriptions.push(response.description.clone()),
            None => variants.push(Group {
                body,
                descriptions: vec![response.description.clone()],
                reason,
            }),
        }
    }
    // One body per name: the most used variant, when used twice or more; the rest stay inline.
    let mut shared: BTreeMap<String, (Response, String)> = BTreeMap::new();
    for (name, variants) in groups {
        let mut best: Option<Group> = None;
        for group in variants {
            if best
                .as_ref()
                .is_none_or(|b| group.descriptions.len() > b.descriptions.len())
            {
                best = Some(group);
            }
        }
        if let Some(group) = best.filter(|group| group.descriptions.len() >= 2) {
            let description = group.description();
            shared.insert(name, (group.body, description));
        }
    }
    for operation in operations_mut(document) {
        for (status, response) in operation.responses.responses.iter_mut() {
            let RefOr::T(inline) = response else { continue };
            let Some((name, _)) = component_name(status, inline) else {
                continue;
            };
            let Some((body, description)) = shared.get(&name) else {
                continue;
            };
            if without_description(inline) != *body {
                continue;
            }
            let mut reference = Ref::new(format!("#/components/responses/{name}"));
            if inline.description != *description {
                reference.description = inline.description.clone();
            }
            *response = RefOr::Ref(reference);
        }
    }
    let components = document.components.get_or_insert_with(Default::default);
    for (name, (mut body, description)) in shared {
        body.description = description;
        components.responses.insert(name, RefOr::T(body));
    }
}

/// utoipa 5 has no `components.headers` and types a response's headers as inline `Header`s, so
/// both are written through the (flattened) extensions, the way `webhooks` adds its section: the
/// response's `headers` map moves there, shared headers as `$ref`s and the others as they were.
fn refer_to_headers(document: &mut OpenApi, shared: &BTreeMap<String, Header>) {
    if shared.is_empty() {
        return;
    }
    for (_, response) in inline_responses(document) {
        refer_to_shared_headers(response, shared);
    }
    let components = document.components.get_or_insert_with(Default::default);
    for response in components.responses.values_mut() {
        if let RefOr::T(response) = response {
            refer_to_shared_headers(response, shared);
        }
    }
    let Ok(definitions) = serde_json::to_value(shared) else {
        return;
    };
    components
        .extensions
        .get_or_insert_with(Extensions::default)
        .insert("headers".to_owned(), definitions);
}

fn refer_to_shared_headers(response: &mut Response, shared: &BTreeMap<String, Header>) {
    // A second extension would make the key order of the response depend on a HashMap.
    if response.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
        return;
    }
    if !response
        .headers
        .iter()
        .any(|(name, header)| shared.get(name) == Some(header))
    {
        return;
    }
    let mut headers = serde_json::Map::new();
    for (name, header) in &response.headers {
        let value = if shared.get(name) == Some(header) {
            serde_json::json!({ "$ref": format!("#/components/headers/{name}") })
        } else {
            match serde_json::to_value(header) {
                Ok(value) => value,
                Err(_) => return,
            }
        };
        headers.insert(name.clone(), value);
    }
    response.headers.clear();
    let mut extensions = Extensions::default();
    extensions.insert("headers".to_owned(), serde_json::Value::Object(headers));
    response.extensions = Some(extensions);
}

//! `Accept-Encoding` negotiation (RFC 9110 §12.5.3): which content coding, if any, a response gets.

use actix_web::http::header::HeaderValue;

use super::Coding;

/// The coding to apply for a request's `Accept-Encoding` value; `None` means identity.
///
/// - No header, an empty one or one that is not visible ASCII: identity (a client that says
///   nothing may not be able to decode anything).
/// - A coding is acceptable with its own `q` > 0, or, when not listed, with the `q` of `*`.
/// - The highest `q` wins; on a tie the server's order in [`Coding::PREFERENCE`] decides.
/// - `identity` wins only when the client rates it strictly above every acceptable coding.
/// - Nothing acceptable (e.g. `gzip;q=0` or `identity;q=0, *;q=0`): identity rather than 406,
///   as RFC 9110 §12.5.3 recommends, so no client is ever refused a body it asked for.
pub fn negotiate(accept_encoding: Option<&HeaderValue>) -> Option<Coding> {
    let value = accept_encoding?.to_str().ok()?;
    let mut coding_q: [Option<u16>; Coding::PREFERENCE.len()] = [None; Coding::PREFERENCE.len()];
    let mut any_q = None;
    let mut identity_q = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or("").trim();
        if token.is_empty() {
            continue;
        }
        let Some(q) = weight(parts) else { continue };
        if token == "*" {
            any_q = Some(q);
        } else if token.eq_ignore_ascii_case("identity") {
            identity_q = Some(q);
        } else if let Some(coding) = Coding::from_token(token) {
            coding_q[coding.index()] = Some(q);
        }
    }
    let (best, best_q) = Coding::PREFERENCE
        .into_iter()
        .filter_map(|coding| {
            let q = coding_q[coding.index()].or(any_q)?;
            (q > 0).then_some((coding, q))
        })
        // `max_by_key` keeps the last of equal keys: rank by q, then by preference (earlier = higher).
        .max_by_key(|(coding, q)| (*q, usize::MAX - coding.index()))?;
    match identity_q {
        Some(identity) if identity > best_q => None,
        _ => Some(best),
    }
}

/// The `q` of one item in thousandths (1000 when absent); `None` for a malformed weight, so the
/// item is ignored rather than guessed at.
fn weight<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut q = 1000;
    for param in params {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = qvalue(value.trim())?;
        }
    }
    Some(q)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(value: &str) -> Option<&'static str> {
        negotiate(Some(&HeaderValue::from_str(value).expect("header"))).map(Coding::token)
    }

    #[test]
    fn without_a_usable_header_the_response_is_identity() {
        assert_eq!(negotiate(None), None);
        assert_eq!(pick(""), None);
        assert_eq!(pick("compress, deflate"), None);
        assert_eq!(pick("identity"), None);
    }

    #[test]
    fn equal_weights_follow_the_server_preference() {
        assert_eq!(pick("gzip, br"), Some("gzip"));
        assert_eq!(pick("gzip, deflate, br, zstd"), Some("zstd"));
        assert_eq!(pick("br"), Some("br"));
        assert_eq!(pick("*"), Some("zstd"));
        assert_eq!(pick("X-GZIP"), Some("gzip"));
    }

    #[test]
    fn q_values_are_respected() {
        assert_eq!(pick("gzip;q=0.5, br;q=0.9"), Some("br"));
        assert_eq!(pick("zstd;q=0.1, gzip"), Some("gzip"));
        assert_eq!(pick("gzip ; q=1.000, zstd;q=0.999"), Some("gzip"));
        assert_eq!(pick("br;q=0.5, *;q=0.8"), Some("zstd"));
        assert_eq!(pick("zstd;q=0, *"), Some("gzip"));
    }

    #[test]
    fn identity_wins_only_when_rated_higher() {
        assert_eq!(pick("identity;q=1, gzip;q=0.5"), None);
        assert_eq!(pick("identity, gzip"), Some("gzip"));
        assert_eq!(pick("gzip;q=0.5"), Some("gzip"));
    }

    #[test]
    fn nothing_acceptable_falls_back_to_identity() {
        assert_eq!(pick("gzip;q=0"), None);
        assert_eq!(pick("gzip;q=0, br;q=0, zstd;q=0, identity;q=0"), None);
        assert_eq!(pick("*;q=0"), None);
    }

    #[test]
    fn malformed_weights_drop_their_item_only() {
        assert_eq!(pick("gzip;q=2, br"), Some("br"));
        assert_eq!(pick("zstd;q=0.5x, gzip;q=0.1"), Some("gzip"));
        assert_eq!(pick("zstd;q=0.0001"), None);
        assert_eq!(pick("zstd;q"), None);
    }
}

//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>).
//!
//! A secret is `whsec_` followed by the standard base64 of 32 random bytes. A delivery carries
//! `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature` = `v1,` + base64 of
//! HMAC-SHA256 over `{id}.{timestamp}.{body}` keyed with the decoded secret bytes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of every signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The key bytes of a `whsec_…` secret, or `None` when it is not one.
pub fn secret_bytes(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX)?;
    STANDARD.decode(encoded).ok().filter(|b| !b.is_empty())
}

/// The `webhook-signature` header value for one message.
pub fn sign(key: &[u8], message_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any size"));
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The test vector published with the Standard Webhooks reference libraries.
        let key = secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid secret");
        let signature = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_random_and_decode_to_32_bytes() {
        let a = generate_secret();
        assert!(a.starts_with("whsec_"));
        assert_eq!(secret_bytes(&a).map(|b| b.len()), Some(32));
        assert_ne!(a, generate_secret());
        assert_eq!(secret_bytes("sk_live_x"), None);
        assert_eq!(secret_bytes("whsec_!!"), None);
    }
}

//! Encryption of personal data at rest (AES-256-GCM) and the hashes used for secrets.
//!
//! The 32-byte data key comes from `STEMCARE_DATA_KEY` (64 hex characters). With the embedded
//! database and no key set, one is created in `<data_dir>/data.key` with mode 0600 on first start.
//! Ciphertexts are stored as `nonce (12 bytes) || ciphertext+tag`; a fresh random nonce is used for
//! every encryption.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

/// The key that encrypts personal data. Never logged: `Debug` prints nothing of it.
#[derive(Clone)]
pub struct DataKey {
    key: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// Decryption failed: wrong key or tampered data.
#[derive(Debug, thiserror::Error)]
#[error("personal data could not be decrypted (wrong STEMCARE_DATA_KEY or damaged data)")]
pub struct DecryptError;

impl DataKey {
    /// Parses 64 hex characters.
    pub fn from_hex(hex: &str) -> Result<Self, String> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(
                "must be 64 hexadecimal characters (32 bytes), e.g. from `openssl rand -hex 32`".into(),
            );
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(Self { key })
    }

    pub fn random() -> Self {
        Self { key: rand::random() }
    }

    fn to_hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads `path`, or creates it with a new random key (mode 0600) when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                writeln!(file, "{}", key.to_hex())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(key)
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(&self.key.into());
        let nonce: [u8; NONCE_LEN] = rand::random();
        // Encryption with a valid key and nonce length cannot fail.
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .unwrap_or_else(|_| unreachable!("AES-GCM encryption is infallible for in-memory buffers"));
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    pub fn decrypt(&self, stored: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if stored.len() < NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, ciphertext) = stored.split_at(NONCE_LEN);
        Aes256Gcm::new(&self.key.into())
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| DecryptError)
    }

    /// A keyed hash (HMAC-SHA256) for looking values up without storing them.
    pub fn keyed_hash(&self, value: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any size"));
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// SHA-256 of a high-entropy secret (API keys, access tokens): enough, since they cannot be guessed.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A random URL-safe token with `prefix`, e.g. `qt_…` (256 bits of randomness).
pub fn random_token(prefix: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_tampering() {
        let key = DataKey::random();
        let sealed = key.encrypt(b"jane@example.com");
        assert!(
            !sealed.windows(4).any(|w| w == b"jane"),
            "no plaintext in the ciphertext"
        );
        assert_eq!(key.decrypt(&sealed).expect("decrypts"), b"jane@example.com");
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(key.decrypt(&tampered).is_err());
        assert!(DataKey::random().decrypt(&sealed).is_err());
        assert_ne!(key.encrypt(b"x"), key.encrypt(b"x"), "fresh nonce every time");
    }

    #[test]
    fn keys_parse_from_hex_only() {
        assert!(DataKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(DataKey::from_hex("short").is_err());
        assert!(DataKey::from_hex(&"zz".repeat(32)).is_err());
        assert_eq!(format!("{:?}", DataKey::random()), "DataKey(<redacted>)");
    }
}

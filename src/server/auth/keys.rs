//! The application secret and the keys derived from it.
//!
//! In production the secret must come from `APP_SECRET`; a missing one stops start-up. In
//! development it is generated on first run and kept in `<data_dir>/secret.key` (mode 0600),
//! so sessions survive restarts without any setup.

use std::{fs, io::Write, path::Path, sync::Arc};

use base64::Engine;
use rand::RngCore;

use super::jwt::{JwtKeys, JwtSetupError};
use crate::server::{
    config::{AppEnv, Settings},
    crypto::{derive, SecretBox, TokenKey},
};

/// Keys derived from the application secret, one per purpose.
pub struct Keys {
    /// Hashes session tokens.
    pub session: Arc<TokenKey>,
    /// Hashes API refresh tokens.
    pub refresh: TokenKey,
    /// Makes each refresh token's successor from it.
    pub refresh_successor: TokenKey,
    /// Signs the short-lived cookies that carry state between two requests (a provider
    /// sign-in in progress, a link waiting for the account's password) and device cookies.
    pub cookies: TokenKey,
    /// Hashes the tokens in email links.
    pub one_time: TokenKey,
    /// Turns emails into rate-limit bucket names (no addresses in that table).
    pub buckets: TokenKey,
    /// Signs and verifies API access tokens.
    pub jwt: JwtKeys,
    /// Encrypts authenticator-app secrets at rest and recovery codes on their way to the page.
    pub at_rest: SecretBox,
    /// Hashes second-factor tokens (sign-ins waiting for it) and recovery codes.
    pub second_factor: TokenKey,
}

/// Why the secret could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "APP_SECRET is not set. In production the application secret must come from the \
         environment: generate one with `openssl rand -base64 32` and set APP_SECRET."
    )]
    MissingInProduction,
    #[error(
        "APP_SECRET is too short: use at least 32 characters (e.g. `openssl rand -base64 32`)."
    )]
    TooShort,
    #[error("cannot read or create the development secret {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Jwt(#[from] JwtSetupError),
}

/// Loads (or, in development, creates) the application secret and derives the keys.
pub fn load(settings: &Settings) -> Result<Keys, SecretError> {
    let secret: Vec<u8> = match (&settings.secret, settings.env) {
        (Some(secret), _) if secret.expose().len() < 32 => return Err(SecretError::TooShort),
        (Some(secret), _) => secret.expose().as_bytes().to_vec(),
        (None, AppEnv::Production) => return Err(SecretError::MissingInProduction),
        (None, AppEnv::Development) => development_secret(&settings.data_dir.join("secret.key"))?,
    };
    Ok(Keys {
        session: Arc::new(TokenKey::from_bytes(derive(
            &secret,
            b"seamless/session-token/v1",
        ))),
        refresh: TokenKey::from_bytes(derive(&secret, b"seamless/refresh-token/v1")),
        refresh_successor: TokenKey::from_bytes(derive(&secret, b"seamless/refresh-successor/v1")),
        cookies: TokenKey::from_bytes(derive(&secret, b"seamless/signed-cookie/v1")),
        one_time: TokenKey::from_bytes(derive(&secret, b"seamless/one-time-token/v1")),
        buckets: TokenKey::from_bytes(derive(&secret, b"seamless/rate-limit-bucket/v1")),
        jwt: JwtKeys::new(settings, &secret)?,
        at_rest: SecretBox::from_bytes(derive(&secret, b"seamless/at-rest/v1")),
        second_factor: TokenKey::from_bytes(derive(&secret, b"seamless/second-factor/v1")),
    })
}

/// Reads the development secret, creating it (32 random bytes, base64, mode 0600) if absent.
fn development_secret(path: &Path) -> Result<Vec<u8>, SecretError> {
    // One place turns the file's I/O errors into ours, with the path.
    read_or_create_secret(path).map_err(|source| SecretError::File {
        path: path.display().to_string(),
        source,
    })
}

fn read_or_create_secret(path: &Path) -> std::io::Result<Vec<u8>> {
    if let Ok(existing) = fs::read_to_string(path) {
        restrict_permissions(path)?;
        return Ok(existing.trim().as_bytes().to_vec());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(encoded.as_bytes())?;
            tracing::info!(path = %path.display(), "generated a development secret");
            Ok(encoded.into_bytes())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = fs::read_to_string(path)?;
            Ok(existing.trim().as_bytes().to_vec())
        }
        Err(e) => Err(e),
    }
}

fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode() & 0o777;
        if mode != 0o600 {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "secret file was readable by others; restricting it to 0600");
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::Settings;

    #[test]
    fn development_generates_a_private_secret_once_and_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let settings = Settings::from_toml("", &[("APP_DATA_DIR", data)]).unwrap();
        let first = load(&settings).unwrap().session.hash_token(b"t");
        let second = load(&settings).unwrap().session.hash_token(b"t");
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn production_without_a_secret_refuses_to_start_and_names_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let settings =
            Settings::from_toml("", &[("APP_ENV", "production"), ("APP_DATA_DIR", data)]).unwrap();
        let err = load(&settings).err().expect("refused");
        assert!(err.to_string().contains("APP_SECRET"), "{err}");
        assert!(!dir.path().join("secret.key").exists());
    }

    #[test]
    fn different_secrets_give_different_token_hashes() {
        let a = Settings::from_toml("", &[("APP_SECRET", "a".repeat(40).as_str())]).unwrap();
        let b = Settings::from_toml("", &[("APP_SECRET", "b".repeat(40).as_str())]).unwrap();
        let ha = load(&a).unwrap().session.hash_token(b"token");
        let hb = load(&b).unwrap().session.hash_token(b"token");
        assert_ne!(ha, hb);
        assert_eq!(ha.len(), 64);
    }
}

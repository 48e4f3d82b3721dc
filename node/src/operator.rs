//! The operator's credential for `admin_*` methods: a random token in a file only the
//! node's user can read, like a cookie file. Whoever can read the file may administer
//! the node; nobody else can.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::config::NodeConfig;
use crate::NodeError;

/// File name of the generated token, in the data folder.
pub const TOKEN_FILE: &str = "admin.token";
/// Shortest token accepted from a configured file (hex characters).
pub const MIN_TOKEN_CHARS: usize = 32;

/// The operator's token. Never printed.
#[derive(Clone)]
pub struct OperatorToken {
    digest: blake3::Hash,
    path: PathBuf,
}

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorToken")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl OperatorToken {
    /// Reads the configured token file, or `<data_dir>/admin.token`, creating the latter
    /// with a fresh random token (mode 0600) when it does not exist.
    pub fn load_or_create(config: &NodeConfig) -> Result<OperatorToken, NodeError> {
        match &config.admin_token_file {
            Some(path) => Self::read(path),
            None => {
                let path = config.data_dir.join(TOKEN_FILE);
                if !path.exists() {
                    create(&path)?;
                }
                Self::read(&path)
            }
        }
    }

    fn read(path: &Path) -> Result<OperatorToken, NodeError> {
        let token = read_token_text(path)?;
        Ok(OperatorToken {
            digest: blake3::hash(token.as_bytes()),
            path: path.to_owned(),
        })
    }

    /// Whether `presented` is the token. Compares digests, in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        blake3::hash(presented.trim().as_bytes()) == self.digest
    }

    /// Where the token is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The token in a token file (trimmed), refused when shorter than [`MIN_TOKEN_CHARS`]:
/// what the node checks presented tokens against, and what clients send.
pub fn read_token_text(path: &Path) -> Result<String, NodeError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        NodeError::Config(format!(
            "cannot read the admin token file {}: {e}",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.len() < MIN_TOKEN_CHARS {
        return Err(NodeError::Config(format!(
            "the admin token in {} is shorter than {MIN_TOKEN_CHARS} characters",
            path.display()
        )));
    }
    Ok(token.to_owned())
}

fn create(path: &Path) -> Result<(), NodeError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(hex::encode(bytes).as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    tracing::info!(target: "node", path = %path.display(), "created the operator's admin token");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_made_once_kept_private_and_matched_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let config = NodeConfig {
            data_dir: dir.path().to_owned(),
            ..NodeConfig::default()
        };
        let token = OperatorToken::load_or_create(&config).unwrap();
        let text = std::fs::read_to_string(dir.path().join(TOKEN_FILE)).unwrap();
        assert_eq!(text.trim().len(), 64);
        assert!(token.matches(text.trim()));
        assert!(!token.matches(""));
        assert!(!token.matches(&text.trim()[1..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = OperatorToken::load_or_create(&config).unwrap();
        assert!(
            again.matches(text.trim()),
            "the file is reused, not replaced"
        );
        assert!(!format!("{token:?}").contains(text.trim()));
    }

    #[test]
    fn a_configured_file_must_exist_and_be_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short");
        std::fs::write(&short, "abc\n").unwrap();
        let config = NodeConfig {
            data_dir: dir.path().to_owned(),
            admin_token_file: Some(short),
            ..NodeConfig::default()
        };
        let error = OperatorToken::load_or_create(&config)
            .unwrap_err()
            .to_string();
        assert!(error.contains("shorter"), "{error}");
        let config = NodeConfig {
            admin_token_file: Some(dir.path().join("missing")),
            ..config
        };
        assert!(OperatorToken::load_or_create(&config).is_err());
        assert!(
            !dir.path().join(TOKEN_FILE).exists(),
            "nothing generated beside a configured file"
        );
    }
}

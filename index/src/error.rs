//! Errors of the read models.

use std::path::PathBuf;

/// What can go wrong opening, updating or querying an index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The query text is too long.
    #[error("query text is {chars} characters long; at most {max} are accepted")]
    QueryTooLong {
        /// Characters in the text.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The query is malformed (bad page, price range, filter).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The directory holds files that are not a search index; nothing was touched.
    #[error("{0} is not empty and holds no search index; refusing to use it")]
    ForeignDirectory(PathBuf),
    /// A file operation on the index directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The search engine failed.
    #[error("search engine: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// Result of the read models.
pub type Result<T, E = IndexError> = std::result::Result<T, E>;

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> IndexError {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<truffle_wire::search::QueryError> for IndexError {
    fn from(error: truffle_wire::search::QueryError) -> Self {
        use truffle_wire::search::QueryError;
        match error {
            QueryError::TooLong { chars, max } => IndexError::QueryTooLong { chars, max },
            QueryError::Invalid(reason) => IndexError::InvalidQuery(reason),
        }
    }
}

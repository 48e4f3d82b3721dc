//! MovieLens 100K in RecBole's atomic-file layout (`ml-100k.inter`, `.user`, `.item`:
//! tab-separated, a typed header line), as a [`Dataset`]: every rating is an interaction
//! of weight 1 at its timestamp; a user's cohort is gender × decade of age; an item's
//! features are its genres and the decade of its release.
//!
//! The files are not ours to redistribute: `scripts/setup.sh` fetches them from the
//! `recbole` 1.2.1 wheel on PyPI into [`default_dir`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use truffle_ledger::types::Gender;

use crate::model::{Cohort, Dataset, Interaction, ItemIx};

/// Why the dataset could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MovieLensError {
    /// A file is not there (the dataset was not fetched).
    #[error("{0} is missing (run scripts/setup.sh to fetch MovieLens 100K)")]
    Missing(PathBuf),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line does not parse.
    #[error("{file} line {line}: {reason}")]
    Parse {
        /// The file.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Where the setup script puts the dataset: `$TRUFFLE_DATA_CACHE/ml-100k`, by default
/// `$HOME/.cache/truffle/ml-100k`.
pub fn default_dir() -> PathBuf {
    let cache = std::env::var_os("TRUFFLE_DATA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
                .join(".cache/truffle")
        });
    cache.join("ml-100k")
}

/// The three files of the dataset in `dir`, if all are there.
pub fn files(dir: &Path) -> Result<[PathBuf; 3], MovieLensError> {
    let paths = ["inter", "user", "item"].map(|ext| dir.join(format!("ml-100k.{ext}")));
    for path in &paths {
        if !path.is_file() {
            return Err(MovieLensError::Missing(path.clone()));
        }
    }
    Ok(paths)
}

/// MovieLens as a dataset, with the original ids.
#[derive(Clone, Debug)]
pub struct MovieLens {
    /// Users, items, interactions.
    pub data: Dataset,
    /// Original user id of each user index.
    pub user_ids: Vec<u32>,
    /// Original item id of each item index (ascending, so index order = id order).
    pub item_ids: Vec<u32>,
}

fn rows(path: &Path) -> Result<Vec<(usize, Vec<String>)>, MovieLensError> {
    let text = std::fs::read_to_string(path).map_err(|source| MovieLensError::Io {
        path: path.to_owned(),
        source,
    })?;
    // Line 1 is the typed header.
    Ok(text
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| (n + 1, line.split('\t').map(str::to_owned).collect()))
        .collect())
}

fn field<T: std::str::FromStr>(
    cols: &[String],
    index: usize,
    file: &'static str,
    line: usize,
) -> Result<T, MovieLensError> {
    let raw = cols.get(index).ok_or_else(|| MovieLensError::Parse {
        file,
        line,
        reason: format!("no column {index}"),
    })?;
    // Timestamps are typed float in RecBole's files but written as integers.
    let raw = raw.trim().trim_end_matches(".0");
    raw.parse().map_err(|_| MovieLensError::Parse {
        file,
        line,
        reason: format!("column {index} {raw:?} does not parse"),
    })
}

/// Reads the dataset from `dir`.
pub fn load(dir: &Path) -> Result<MovieLens, MovieLensError> {
    let [inter, user, item] = files(dir)?;
    let mut user_ids = Vec::new();
    let mut cohorts = Vec::new();
    for (line, cols) in rows(&user)? {
        let id: u32 = field(&cols, 0, "ml-100k.user", line)?;
        let age: u32 = field(&cols, 1, "ml-100k.user", line)?;
        let gender = match cols.get(2).map(|g| g.trim()) {
            Some("F") => Gender::Female,
            Some("M") => Gender::Male,
            _ => Gender::Other,
        };
        user_ids.push(id);
        cohorts.push(Some(Cohort::of_age(gender, age)));
    }
    let mut items: Vec<(u32, Vec<String>)> = Vec::new();
    for (line, cols) in rows(&item)? {
        let id: u32 = field(&cols, 0, "ml-100k.item", line)?;
        let mut features = Vec::new();
        if let Ok(year) = field::<u32>(&cols, 2, "ml-100k.item", line) {
            features.push(format!("decade:{}", year / 10 * 10));
        }
        if let Some(genres) = cols.get(3) {
            features.extend(genres.split_whitespace().map(|g| format!("genre:{g}")));
        }
        items.push((id, features));
    }
    items.sort_by_key(|(id, _)| *id);
    let mut feature_ids: HashMap<String, u32> = HashMap::new();
    let mut features = Vec::new();
    for (_, names) in &items {
        features.push(
            names
                .iter()
                .map(|name| {
                    let next = feature_ids.len() as u32;
                    *feature_ids.entry(name.clone()).or_insert(next)
                })
                .collect(),
        );
    }
    let item_ids: Vec<u32> = items.iter().map(|(id, _)| *id).collect();
    let item_ix: HashMap<u32, ItemIx> = item_ids
        .iter()
        .enumerate()
        .map(|(ix, id)| (*id, ix as ItemIx))
        .collect();
    let user_ix: HashMap<u32, u32> = user_ids
        .iter()
        .enumerate()
        .map(|(ix, id)| (*id, ix as u32))
        .collect();
    let mut interactions = Vec::new();
    for (line, cols) in rows(&inter)? {
        let user: u32 = field(&cols, 0, "ml-100k.inter", line)?;
        let item: u32 = field(&cols, 1, "ml-100k.inter", line)?;
        let time: u64 = field(&cols, 3, "ml-100k.inter", line)?;
        let unknown = |what: &str| MovieLensError::Parse {
            file: "ml-100k.inter",
            line,
            reason: format!("unknown {what}"),
        };
        interactions.push(Interaction {
            user: *user_ix.get(&user).ok_or_else(|| unknown("user"))?,
            item: *item_ix.get(&item).ok_or_else(|| unknown("item"))?,
            time,
            weight: 1.0,
        });
    }
    let n_items = features.len();
    Ok(MovieLens {
        data: Dataset {
            cohorts,
            features,
            added: vec![None; n_items],
            interactions,
        },
        user_ids,
        item_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_recbole_atomic_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ml-100k.user"),
            "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n\
             1\t24\tM\ttechnician\t85711\n2\t53\tF\tother\t94043\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("ml-100k.item"),
            "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n\
             2\tGoldenEye\t1995\tAction Adventure Thriller\n1\tToy Story\t1995\tAnimation Children's Comedy\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("ml-100k.inter"),
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n\
             1\t2\t3\t881250949\n2\t1\t5\t881250950\n",
        )
        .unwrap();
        let ml = load(dir.path()).unwrap();
        assert_eq!(ml.item_ids, [1, 2]);
        assert_eq!(
            ml.data.cohorts[1],
            Some(Cohort {
                gender: Gender::Female,
                age_band: 50
            })
        );
        assert_eq!(ml.data.features[0].len(), 4, "decade and three genres");
        assert_eq!(ml.data.interactions[0].item, 1, "item 2 is index 1");
        assert_eq!(ml.data.interactions[1].time, 881_250_950);
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        match load(dir.path()) {
            Err(MovieLensError::Missing(path)) => assert!(path.ends_with("ml-100k.inter")),
            other => panic!("{other:?}"),
        }
    }
}

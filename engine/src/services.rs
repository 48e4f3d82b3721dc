//! Replicated service commands (data kept beside the ledger, erasable): each feature
//! registers the tags of its commands, and the router hands a command to the feature
//! whose tag is its first byte. A feature's commands are a borsh enum whose variant
//! index is the tag, so the bytes in the Raft log say whose command it is.

use std::collections::BTreeMap;
use std::sync::Arc;

use truffle_consensus::{ServiceApplier, ServiceError, ServiceOutcome};
use truffle_store::Store;

/// Routes service commands to the features that registered their tags.
#[derive(Default, Clone)]
pub struct ServiceRouter {
    appliers: BTreeMap<u8, Arc<dyn ServiceApplier>>,
}

impl ServiceRouter {
    /// A router with no feature.
    pub fn new() -> ServiceRouter {
        ServiceRouter::default()
    }

    /// Sends commands whose first byte is in `tags` to `applier`.
    ///
    /// # Panics
    /// When a tag is taken already: two features would claim one command.
    pub fn with(
        mut self,
        tags: impl IntoIterator<Item = u8>,
        applier: Arc<dyn ServiceApplier>,
    ) -> Self {
        for tag in tags {
            let previous = self.appliers.insert(tag, applier.clone());
            assert!(
                previous.is_none(),
                "service command tag {tag} is registered twice"
            );
        }
        self
    }
}

impl ServiceApplier for ServiceRouter {
    fn apply(&self, store: &Store, command: &[u8]) -> Result<ServiceOutcome, ServiceError> {
        let tag = *command
            .first()
            .ok_or_else(|| ServiceError::Malformed("an empty command".into()))?;
        let applier = self
            .appliers
            .get(&tag)
            .ok_or(ServiceError::UnknownTag(tag))?;
        applier.apply(store, command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo(&'static str);

    impl ServiceApplier for Echo {
        fn apply(&self, _store: &Store, command: &[u8]) -> Result<ServiceOutcome, ServiceError> {
            Ok(ServiceOutcome {
                changes: Vec::new(),
                response: [self.0.as_bytes(), command].concat(),
            })
        }
    }

    #[test]
    fn commands_go_to_the_feature_of_their_first_byte() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let router = ServiceRouter::new()
            .with(0..=1, Arc::new(Echo("a")))
            .with([7], Arc::new(Echo("b")));
        assert_eq!(
            router.apply(&store, &[1, 9]).unwrap().response,
            b"a\x01\x09"
        );
        assert_eq!(router.apply(&store, &[7]).unwrap().response, b"b\x07");
        assert_eq!(
            router.apply(&store, &[2]).unwrap_err(),
            ServiceError::UnknownTag(2)
        );
        assert!(matches!(
            router.apply(&store, &[]),
            Err(ServiceError::Malformed(_))
        ));
    }

    #[test]
    #[should_panic(expected = "registered twice")]
    fn a_tag_belongs_to_one_feature() {
        let _ = ServiceRouter::new()
            .with([3], Arc::new(Echo("a")))
            .with([3], Arc::new(Echo("b")));
    }
}

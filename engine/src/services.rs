//! Replicated service commands (data kept beside the ledger, erasable): each feature
//! registers the tags of its commands, and the router hands a command to the feature
//! whose tag is its first byte. A feature's commands are a borsh enum whose variant
//! index is the tag, so the bytes in the Raft log say whose command it is.

use std::collections::BTreeMap;
use std::sync::Arc;

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_consensus::{ServiceApplier, ServiceError, ServiceOutcome};
use truffle_store::Store;

/// A feature whose service commands are one borsh type under one tag.
pub trait TaggedService: Send + Sync + 'static {
    /// The first byte of the feature's commands.
    const TAG: u8;
    /// The feature's commands.
    type Command: BorshDeserialize;
    /// Applies one command (deterministically: every node applies the same ones).
    fn apply_command(
        &self,
        store: &Store,
        command: Self::Command,
    ) -> Result<ServiceOutcome, ServiceError>;
}

/// A command as the router takes it: the feature's tag, then the command.
pub fn encode_tagged<C: BorshSerialize>(tag: u8, command: &C) -> Vec<u8> {
    let mut bytes = vec![tag];
    borsh::to_writer(&mut bytes, command).expect("encoding to a Vec cannot fail");
    bytes
}

/// Applies a [`TaggedService`]'s commands: strips the tag, decodes, applies.
struct Tagged<S>(S);

impl<S: TaggedService> ServiceApplier for Tagged<S> {
    fn apply(&self, store: &Store, command: &[u8]) -> Result<ServiceOutcome, ServiceError> {
        let body = command
            .strip_prefix(&[S::TAG])
            .ok_or(ServiceError::UnknownTag(
                command.first().copied().unwrap_or(0),
            ))?;
        let command =
            borsh::from_slice(body).map_err(|e| ServiceError::Malformed(e.to_string()))?;
        self.0.apply_command(store, command)
    }
}

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

impl ServiceRouter {
    /// Sends commands tagged [`TaggedService::TAG`] to `service`.
    pub fn with_tagged<S: TaggedService>(self, service: S) -> Self {
        self.with([S::TAG], Arc::new(Tagged(service)))
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

    struct Doubler;

    impl TaggedService for Doubler {
        const TAG: u8 = 5;
        type Command = u32;

        fn apply_command(
            &self,
            _store: &Store,
            command: u32,
        ) -> Result<ServiceOutcome, ServiceError> {
            Ok(ServiceOutcome {
                changes: Vec::new(),
                response: (command * 2).to_le_bytes().to_vec(),
            })
        }
    }

    #[test]
    fn tagged_commands_round_trip_and_bad_bodies_are_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let router = ServiceRouter::new().with_tagged(Doubler);
        let command = encode_tagged(Doubler::TAG, &21u32);
        assert_eq!(command, [5, 21, 0, 0, 0]);
        assert_eq!(
            router.apply(&store, &command).unwrap().response,
            42u32.to_le_bytes()
        );
        assert!(matches!(
            router.apply(&store, &[5, 1]),
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

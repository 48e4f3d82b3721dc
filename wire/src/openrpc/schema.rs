//! JSON Schemas of the types the API takes and returns, derived from the types
//! themselves (`schemars`, from their serde attributes and doc comments), so a field
//! added to a type is in the reference at once. The tests validate real answers of a
//! node against these schemas; objects refuse unknown properties, so a type whose JSON
//! is not what its derive says (a hand-written `Serialize`) fails them.
//!
//! Methods name their parameter and result types in a small notation (see
//! [`Schemas::ty`]); each capitalised name stands for one Rust type in [`named`].

use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, Transform};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};
use truffle_ledger::admin_query::AdminQuery;
use truffle_ledger::types::{Account, Gender, RaffleEntry, RaffleStatus, Validator};
use truffle_ledger::verify::ItemQuery;
use truffle_ledger::{Certificate, Evidence, Hash, PublicKey, Receipt};

use crate::ads::{AdBanner, AdStats, AdViewer};
use crate::api::{CatalogReceipt, CompactionReport, ProofBundleView, RaffleProofPage};
use crate::catalog::{ItemHistory, SellerStanding, SellerState};
use crate::chain::{Health, PeerInfo, SubmitOutcome, TxStatus};
use crate::chat::{ChatMessage, ChatSubject, HistoryPage, RoomView};
use crate::kakao::{KakaoLinkStatus, LinkCodeIssued};
use crate::market::{
    HistoryEntry, MyEntry, OrderView, Page, PageRequest, RaffleOutcome, RaffleView, RefundReceipt,
};
use crate::members::{
    CodeSent, LoggedIn, MemberView, PhoneVerified, ResetPasswordRequest, SignedUp, SignupRequest,
    UpdateRequest,
};
use crate::payments::Checkout;
use crate::reco::RecoPage;
use crate::search::{SearchQuery, SearchResults};
use crate::system::BackupManifest;
use crate::views::{BlockView, HeaderView, ItemView, ProductView, TransactionView, VersionView};

/// Where the named schemas live in the document.
const DEFINITIONS: &str = "/components/schemas";

/// The schemas of one document: every type a method names, and the types inside them.
pub(crate) struct Schemas {
    generator: SchemaGenerator,
}

impl Schemas {
    /// An empty set, in JSON Schema draft 7 (what OpenRPC 1.2 uses).
    pub(crate) fn new() -> Schemas {
        let mut settings = SchemaSettings::draft07().with_transform(Strict);
        settings.definitions_path = DEFINITIONS.into();
        settings.meta_schema = None;
        Schemas {
            generator: settings.into_generator(),
        }
    }

    /// The schema of a type written in the notation:
    ///
    /// - `string`, `bool`, `f64`, `u8`..`u64`/`usize` (non-negative integers), `any`,
    ///   `object` (any object), `null`;
    /// - `Name` (capitalised): the Rust type [`named`] gives, as a reference;
    /// - `[T]`: an array of `T`; `T?`: `T` or `null` (serde's `Option`).
    pub(crate) fn ty(&mut self, notation: &str) -> Value {
        if let Some(inner) = notation.strip_suffix('?') {
            return json!({ "anyOf": [self.ty(inner), { "type": "null" }] });
        }
        if let Some(inner) = notation.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
            return json!({ "type": "array", "items": self.ty(inner) });
        }
        match notation {
            "string" => json!({ "type": "string" }),
            "bool" => json!({ "type": "boolean" }),
            "f64" => json!({ "type": "number" }),
            "u8" | "u16" | "u32" | "u64" | "usize" => json!({ "type": "integer", "minimum": 0 }),
            "any" => json!({}),
            "object" => json!({ "type": "object" }),
            "null" => json!({ "type": "null" }),
            name if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                named(name, &mut self.generator).to_value()
            }
            other => panic!("unknown type notation {other:?}"),
        }
    }

    /// Every named schema the methods led to, by name (`components.schemas`).
    pub(crate) fn components(mut self) -> Map<String, Value> {
        let mut all = self.generator.take_definitions(true);
        for (name, schema) in hand_written() {
            let previous = all.insert(name.to_owned(), schema);
            assert!(previous.is_none(), "schema {name} is defined twice");
        }
        all
    }
}

/// The Rust type behind each name the methods use.
fn named(name: &str, generator: &mut SchemaGenerator) -> Schema {
    fn of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
    let schema = match name {
        "Account" => of::<Account>,
        "AdBanner" => of::<AdBanner>,
        "AdStats" => of::<AdStats>,
        "AdViewer" => of::<AdViewer>,
        "AdminQuery" => of::<AdminQuery>,
        "BackupManifest" => of::<BackupManifest>,
        "BlockView" => of::<BlockView>,
        "CatalogReceipt" => of::<CatalogReceipt>,
        "Certificate" => of::<Certificate>,
        "Evidence" => of::<Evidence>,
        "Validator" => of::<Validator>,
        "ChatMessage" => of::<ChatMessage>,
        "ChatSubject" => of::<ChatSubject>,
        "Checkout" => of::<Checkout>,
        "CodeSent" => of::<CodeSent>,
        "CompactionReport" => of::<CompactionReport>,
        "Gender" => of::<Gender>,
        "Hash" => of::<Hash>,
        "HeaderView" => of::<HeaderView>,
        "Health" => of::<Health>,
        "HistoryEntryPage" => of::<Page<HistoryEntry>>,
        "HistoryPage" => of::<HistoryPage>,
        "ItemHistory" => of::<ItemHistory>,
        "ItemQuery" => of::<ItemQuery>,
        "ItemView" => of::<ItemView>,
        "KakaoLinkStatus" => of::<KakaoLinkStatus>,
        "LinkCodeIssued" => of::<LinkCodeIssued>,
        "LoggedIn" => of::<LoggedIn>,
        "MemberView" => of::<MemberView>,
        "MyEntryPage" => of::<Page<MyEntry>>,
        "OrderView" => of::<OrderView>,
        "OrderViewPage" => of::<Page<OrderView>>,
        "PageRequest" => of::<PageRequest>,
        "PeerInfo" => of::<PeerInfo>,
        "PhoneVerified" => of::<PhoneVerified>,
        "ProductView" => of::<ProductView>,
        "ProofBundleView" => of::<ProofBundleView>,
        "RaffleProofPage" => of::<RaffleProofPage>,
        "PublicKey" => of::<PublicKey>,
        "RaffleEntryPage" => of::<Page<RaffleEntry>>,
        "RaffleOutcome" => of::<RaffleOutcome>,
        "RafflePage" => of::<Page<RaffleView>>,
        "RaffleStatus" => of::<RaffleStatus>,
        "RaffleView" => of::<RaffleView>,
        "Receipt" => of::<Receipt>,
        "RecoPage" => of::<RecoPage>,
        "RefundReceipt" => of::<RefundReceipt>,
        "ResetPasswordRequest" => of::<ResetPasswordRequest>,
        "RoomView" => of::<RoomView>,
        "SearchQuery" => of::<SearchQuery>,
        "SearchResults" => of::<SearchResults>,
        "SellerStanding" => of::<SellerStanding>,
        "SellerState" => of::<SellerState>,
        "SignedUp" => of::<SignedUp>,
        "SignupRequest" => of::<SignupRequest>,
        "TransactionView" => of::<TransactionView>,
        "SubmitOutcome" => of::<SubmitOutcome>,
        "TxStatus" => of::<TxStatus>,
        "UpdateRequest" => of::<UpdateRequest>,
        "VersionView" => of::<VersionView>,
        "HexBytes" | "SubscriptionId" => {
            return schemars::json_schema!({ "$ref": format!("#{DEFINITIONS}/{name}") })
        }
        other => panic!("the notation names {other}, which is not in schema::named"),
    };
    schema(generator)
}

/// The two names that are not Rust types: hex bytes in a string, and jsonrpsee's
/// subscription ids.
fn hand_written() -> [(&'static str, Value); 2] {
    [
        (
            "HexBytes",
            json!({ "type": "string", "pattern": "^([0-9a-fA-F]{2})*$",
                    "description": "Bytes in hex, e.g. a borsh-encoded signed transaction." }),
        ),
        (
            "SubscriptionId",
            json!({ "description": "A subscription id, to pass to the matching unsubscribe method.",
                    "anyOf": [{ "type": "integer" }, { "type": "string" }] }),
        ),
    ]
}

/// Objects with named properties refuse others: the node writes exactly its types'
/// fields, so a property the reference does not know means the two drifted. (Objects
/// that combine subschemas are left open: their properties are spread over the parts.)
#[derive(Clone)]
struct Strict;

impl Transform for Strict {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(object) = schema.as_object_mut() else {
            return;
        };
        let combined = ["allOf", "anyOf", "oneOf"]
            .iter()
            .any(|key| object.contains_key(*key));
        if object.contains_key("properties")
            && !object.contains_key("additionalProperties")
            && !combined
        {
            object.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation() {
        let mut schemas = Schemas::new();
        assert_eq!(
            schemas.ty("u64?"),
            json!({ "anyOf": [{ "type": "integer", "minimum": 0 }, { "type": "null" }] })
        );
        assert_eq!(
            schemas.ty("[Hash]"),
            json!({ "type": "array", "items": { "$ref": "#/components/schemas/Hash" } })
        );
    }

    #[test]
    #[should_panic(expected = "not in schema::named")]
    fn an_unknown_name_is_refused() {
        Schemas::new().ty("NoSuchType");
    }

    #[test]
    fn every_reference_resolves() {
        let document = crate::openrpc::document();
        let text = document.to_string();
        let components = document["components"]["schemas"]
            .as_object()
            .expect("schemas");
        for reference in text.split("\"$ref\":\"").skip(1) {
            let target = reference.split('"').next().expect("a quoted reference");
            if let Some(name) = target.strip_prefix("#/components/schemas/") {
                assert!(components.contains_key(name), "{target} is not defined");
            }
        }
    }

    #[test]
    fn objects_refuse_unknown_properties() {
        let mut schemas = Schemas::new();
        schemas.ty("RoomView");
        let components = schemas.components();
        assert_eq!(components["RoomView"]["additionalProperties"], json!(false));
    }
}

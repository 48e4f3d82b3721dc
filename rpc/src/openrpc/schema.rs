//! JSON Schemas of the types the API takes and returns, written compactly by hand.
//!
//! Deriving schemas would put a schema dependency on the ledger, node, index and
//! payments crates for about seventy types; instead each type is one entry here, its
//! fields in a small type notation (see [`ty`]), and the tests validate real answers of
//! a node against these schemas (objects refuse unknown properties, so a field added to
//! a type without its entry here fails them).

use serde_json::{json, Map, Value};

/// Where the named schemas live in the document.
pub(crate) const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// The schema of a type written in the notation:
///
/// - `string`, `bool`, `f64`, `u8`..`u64`/`usize` (non-negative integers), `any`,
///   `object` (any object), `null`;
/// - `Name` (capitalised): a reference to the named schema in [`components`];
/// - `[T]`: an array of `T`; `T?`: `T` or `null` (serde's `Option`);
/// - `enum:a|b|c`: one of these strings.
pub(crate) fn ty(notation: &str) -> Value {
    if let Some(inner) = notation.strip_suffix('?') {
        return json!({ "anyOf": [ty(inner), { "type": "null" }] });
    }
    if let Some(inner) = notation.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        return json!({ "type": "array", "items": ty(inner) });
    }
    if let Some(values) = notation.strip_prefix("enum:") {
        return json!({ "type": "string", "enum": values.split('|').collect::<Vec<_>>() });
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
            json!({ "$ref": format!("{SCHEMA_PREFIX}{name}") })
        }
        other => panic!("unknown type notation {other:?}"),
    }
}

/// An object as the node writes it: every field present (`None` as `null`), nothing
/// else.
fn output(description: &str, fields: &[(&str, &str)]) -> Value {
    let mut properties = Map::new();
    for (name, notation) in fields {
        properties.insert((*name).to_owned(), ty(notation));
    }
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "required": fields.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

/// An object the node reads: fields marked `?` in their name may be left out (serde
/// defaults); unknown fields are ignored by the node, so they are not refused here.
fn input(description: &str, fields: &[(&str, &str)]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, notation) in fields {
        match name.strip_prefix('?') {
            Some(name) => {
                properties.insert(name.to_owned(), ty(notation));
            }
            None => {
                properties.insert((*name).to_owned(), ty(notation));
                required.push(*name);
            }
        }
    }
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
    })
}

/// A serde internally tagged enum (`#[serde(tag = "...")]`): one object per variant,
/// the tag naming it, the variant's fields beside it.
fn tagged(description: &str, tag: &str, variants: &[(&str, &[(&str, &str)])]) -> Value {
    let one_of: Vec<Value> = variants
        .iter()
        .map(|(variant, fields)| {
            let mut all = vec![(tag, "string")];
            all.extend_from_slice(fields);
            let mut schema = output(&format!("`{tag}`: `{variant}`"), &all);
            schema["properties"][tag] = json!({ "const": variant });
            schema
        })
        .collect();
    json!({ "description": description, "oneOf": one_of })
}

/// `Page<T>` of the market: one page of a listing.
fn page(of: &str) -> Value {
    let items = format!("[{of}]");
    output(
        &format!("One page of {of}s: `page` from 1, `total` over all pages."),
        &[
            ("total", "u64"),
            ("page", "u32"),
            ("page_size", "u32"),
            ("items", &items),
        ],
    )
}

/// Concatenates field lists, for `#[serde(flatten)]`.
fn flat<'a>(parts: &[&[(&'a str, &'a str)]]) -> Vec<(&'a str, &'a str)> {
    parts.concat()
}

const BLOCK_HEADER: &[(&str, &str)] = &[
    ("chain_id", "Hash"),
    ("height", "u64"),
    ("prev_hash", "Hash"),
    ("time_ms", "u64"),
    ("proposer", "PublicKey"),
    ("transaction_count", "u32"),
    ("transactions_root", "Hash"),
    ("receipts_root", "Hash"),
    ("state_root", "Hash"),
];

const PRODUCT: &[(&str, &str)] = &[
    ("id", "u64"),
    ("seller", "PublicKey"),
    ("brand", "string"),
    ("model", "string"),
    ("name_ko", "string"),
    ("name_en", "string"),
    ("category", "string"),
    ("release_date", "u32"),
    ("price", "u64"),
    ("description", "string"),
    ("image_hashes", "[Hash]"),
    ("edition_size", "u32"),
    ("first_item", "u64"),
    ("registered", "TxRef"),
];

const RAFFLE: &[(&str, &str)] = &[
    ("id", "u64"),
    ("seller", "PublicKey"),
    ("spec", "RaffleSpec"),
    ("created", "TxRef"),
    ("status", "RaffleStatus"),
    ("entry_count", "u32"),
    ("closing_block", "ClosingBlock?"),
    ("revealed_secret", "Hash?"),
    ("seller_missed_reveal", "bool"),
    ("result", "DrawResult?"),
    ("runners_up_used", "u32"),
];

const ORDER: &[(&str, &str)] = &[
    ("id", "u64"),
    ("item", "u64"),
    ("buyer", "PublicKey"),
    ("seller", "PublicKey"),
    ("amount", "u64"),
    ("source", "OrderSource"),
    ("status", "OrderStatus"),
    ("created", "TxRef"),
    ("expires_at_ms", "u64"),
    ("payment", "PaymentRecord?"),
    ("refund", "RefundRecord?"),
    ("closed_reason", "string?"),
];

fn hex(description: &str, bytes: usize) -> Value {
    json!({
        "type": "string",
        "description": description,
        "pattern": format!("^[0-9a-f]{{{}}}$", bytes * 2),
    })
}

/// Every named schema, by name (`components.schemas`).
pub(crate) fn components() -> Map<String, Value> {
    let mut all = Map::new();
    let mut add = |name: &str, schema: Value| {
        let previous = all.insert(name.to_owned(), schema);
        assert!(previous.is_none(), "schema {name} is defined twice");
    };

    // Keys, hashes and raw bytes.
    add(
        "Hash",
        hex("A blake3 digest, 32 bytes in lowercase hex.", 32),
    );
    add(
        "PublicKey",
        hex(
            "An ed25519 public key (an account id), 32 bytes in hex.",
            32,
        ),
    );
    add(
        "Signature",
        hex("An ed25519 signature, 64 bytes in hex.", 64),
    );
    add(
        "HexBytes",
        json!({ "type": "string", "pattern": "^([0-9a-fA-F]{2})*$",
                "description": "Bytes in hex, e.g. a borsh-encoded signed transaction." }),
    );
    add(
        "SubscriptionId",
        json!({ "description": "A subscription id, to pass to the matching unsubscribe method.",
                "anyOf": [{ "type": "integer" }, { "type": "string" }] }),
    );

    // The ledger.
    add(
        "TxRef",
        output(
            "Where a transaction is on the chain.",
            &[("height", "u64"), ("index", "u32"), ("tx_hash", "Hash")],
        ),
    );
    add("Role", ty("enum:member|admin|operator"));
    add("AccountStatus", ty("enum:active|suspended|withdrawn"));
    add("Gender", ty("enum:female|male|other"));
    add(
        "SellerStatus",
        tagged(
            "An account's seller standing.",
            "state",
            &[
                ("none", &[]),
                ("applied", &[("shop_name", "string")]),
                (
                    "approved",
                    &[("shop_name", "string"), ("since_height", "u64")],
                ),
                ("revoked", &[("shop_name", "string"), ("at_height", "u64")]),
            ],
        ),
    );
    add(
        "Account",
        output(
            "An account's ledger record.",
            &[
                ("key", "PublicKey"),
                ("role", "Role"),
                ("status", "AccountStatus"),
                ("nonce", "u64"),
                ("phone_verified", "bool"),
                ("birth_year", "u16?"),
                ("seller", "SellerStatus"),
                ("registered_height", "u64"),
                ("missed_reveals", "u32"),
                ("raffle_cooldown_until_ms", "u64"),
            ],
        ),
    );
    add(
        "BlockHeader",
        output("A block header: what validators certify.", BLOCK_HEADER),
    );
    add(
        "HeaderView",
        output(
            "A block header with its hash.",
            &flat(&[&[("hash", "Hash")], BLOCK_HEADER]),
        ),
    );
    add(
        "Effect",
        tagged(
            "What an applied transaction did.",
            "kind",
            &[
                ("done", &[]),
                (
                    "product_registered",
                    &[
                        ("product", "u64"),
                        ("first_item", "u64"),
                        ("item_count", "u32"),
                    ],
                ),
                ("raffle_created", &[("raffle", "u64")]),
                ("raffle_drawn", &[("raffle", "u64"), ("orders", "[u64]")]),
                ("order_created", &[("order", "u64")]),
                ("order_closed", &[("order", "u64"), ("next_order", "u64?")]),
                ("ad_created", &[("ad", "u64")]),
                ("raffle_voided", &[("raffle", "u64")]),
            ],
        ),
    );
    add(
        "Rejection",
        json!({
            "type": "object",
            "description": "Why the ledger refused a transaction: `code` names the rule \
                (snake_case, e.g. `nonce_replayed`); the other fields are the rule's details. \
                As an RPC error it is the error's `data`, with code 1000 + the rule's number.",
            "properties": { "code": { "type": "string" } },
            "required": ["code"],
        }),
    );
    add(
        "Outcome",
        tagged(
            "The outcome of one transaction of a block.",
            "status",
            &[
                ("applied", &[("effect", "Effect")]),
                ("rejected", &[("rejection", "Rejection")]),
            ],
        ),
    );
    add(
        "Receipt",
        output(
            "A transaction's receipt.",
            &[("tx_hash", "Hash"), ("outcome", "Outcome")],
        ),
    );
    add(
        "Payload",
        json!({
            "description": "What a transaction asks for, externally tagged by its snake_case kind: \
                `{\"transfer_item\": {\"item\": 5, \"to\": \"...\"}}`, or the bare kind for kinds \
                without fields. The kinds are the variants of `truffle_ledger::Payload`.",
            "anyOf": [
                { "type": "object", "minProperties": 1, "maxProperties": 1 },
                { "type": "string" },
            ],
        }),
    );
    add(
        "TransactionView",
        output(
            "A committed or rejected transaction with its hash and kind.",
            &[
                ("hash", "Hash"),
                ("kind", "string"),
                ("signer", "PublicKey"),
                ("nonce", "u64"),
                ("payload", "Payload"),
                ("signature", "Signature"),
                ("encoded", "HexBytes"),
            ],
        ),
    );
    add(
        "BlockView",
        output(
            "A block with its transactions and one receipt per transaction.",
            &[
                ("header", "HeaderView"),
                ("transactions", "[TransactionView]"),
                ("receipts", "[Receipt]"),
            ],
        ),
    );
    add(
        "HeaderVote",
        output(
            "One validator's signature over a header.",
            &[("validator", "PublicKey"), ("signature", "Signature")],
        ),
    );
    add(
        "Certificate",
        output(
            "A quorum of validator votes over one header.",
            &[
                ("height", "u64"),
                ("header_hash", "Hash"),
                ("votes", "[HeaderVote]"),
            ],
        ),
    );
    add(
        "TxStatus",
        tagged(
            "Where a transaction stands.",
            "status",
            &[
                ("pending", &[]),
                (
                    "committed",
                    &[
                        ("height", "u64"),
                        ("index", "u32"),
                        ("effect", "Effect"),
                        ("certified", "bool"),
                    ],
                ),
                (
                    "rejected",
                    &[
                        ("height", "u64"),
                        ("index", "u32"),
                        ("rejection", "Rejection"),
                    ],
                ),
                ("unknown", &[]),
            ],
        ),
    );

    // The node itself.
    add(
        "Health",
        output(
            "A node's view of the cluster and its own progress.",
            &[
                ("role", "enum:leader|follower|candidate|learner|shutdown"),
                ("node_key", "PublicKey"),
                ("node_id", "u64"),
                ("leader_id", "u64?"),
                ("leader_key", "string?"),
                ("term", "u64"),
                ("committed_index", "u64?"),
                ("applied_index", "u64?"),
                ("height", "u64"),
                ("head_hash", "Hash"),
                ("state_root", "Hash"),
                ("certified_height", "u64?"),
                ("snapshot_index", "u64?"),
                ("purged_index", "u64?"),
                ("snapshots_installed", "u64"),
                ("peers", "usize"),
                ("voters", "[u64]"),
                ("pending_transactions", "usize"),
                ("uptime_secs", "u64"),
                ("chain_id", "Hash"),
            ],
        ),
    );
    add(
        "PeerInfo",
        output(
            "A validator the transport knows.",
            &[
                ("key", "PublicKey"),
                ("address", "string"),
                ("connected", "bool"),
                ("partitioned", "bool"),
            ],
        ),
    );
    add(
        "CompactionReport",
        output(
            "What a forced compaction did.",
            &[
                ("before_bytes", "u64"),
                ("after_bytes", "u64"),
                ("took_ms", "u64"),
            ],
        ),
    );
    add(
        "BackupFile",
        output(
            "One file of a backup.",
            &[("path", "string"), ("bytes", "u64")],
        ),
    );
    add(
        "BackupManifest",
        output(
            "What a backup holds (its manifest.json).",
            &[
                ("format_version", "u32"),
                ("chain_id", "Hash"),
                ("node_key", "PublicKey"),
                ("height", "u64"),
                ("head_hash", "Hash"),
                ("applied_index", "u64?"),
                ("snapshot_index", "u64?"),
                ("created_at_ms", "u64"),
                ("search_index", "string"),
                ("files", "[BackupFile]"),
            ],
        ),
    );
    add(
        "VersionView",
        output(
            "Software version and chain.",
            &[
                ("name", "string"),
                ("version", "string"),
                ("chain_id", "Hash"),
                ("chain_name", "string"),
            ],
        ),
    );

    // Products and pieces.
    add(
        "ItemLock",
        json!({
            "description": "Why an item cannot move: `{\"kind\": \"free\"}`, or \
                `{\"kind\": \"raffle\"|\"order\", \"id\": n}`.",
            "oneOf": [
                output("Free to transfer.", &[("kind", "enum:free")]),
                output("Escrowed for a raffle or an order.",
                       &[("kind", "enum:raffle|order"), ("id", "u64")]),
            ],
        }),
    );
    add(
        "Item",
        output(
            "One physical piece of a limited edition.",
            &[
                ("id", "u64"),
                ("product", "u64"),
                ("edition", "u32"),
                ("edition_size", "u32"),
                ("serial", "string"),
                ("owner", "PublicKey"),
                ("owner_since", "TxRef"),
                ("history_len", "u32"),
                ("lock", "ItemLock"),
                ("listing_price", "u64?"),
            ],
        ),
    );
    add("Product", output("A registered limited edition.", PRODUCT));
    add(
        "ProductView",
        output(
            "A product and its pieces, by edition number.",
            &flat(&[PRODUCT, &[("items", "[Item]")]]),
        ),
    );
    add(
        "ItemView",
        output(
            "A piece with its product.",
            &[("item", "Item"), ("product", "Product")],
        ),
    );
    add(
        "Acquisition",
        json!({
            "description": "How an owner got a piece: `{\"kind\": \"registered\"|\"transferred\"}`, \
                or `{\"kind\": \"purchased\"|\"refunded\", \"order\": n}`.",
            "oneOf": [
                output("Registered or transferred.", &[("kind", "enum:registered|transferred")]),
                output("Through an order.", &[("kind", "enum:purchased|refunded"), ("order", "u64")]),
            ],
        }),
    );
    add(
        "OwnershipRecord",
        output(
            "One owner in a piece's history.",
            &[
                ("item", "u64"),
                ("sequence", "u32"),
                ("owner", "PublicKey"),
                ("acquisition", "Acquisition"),
                ("tx", "TxRef"),
            ],
        ),
    );
    add(
        "ItemHistory",
        output(
            "Every owner a piece has had, oldest first.",
            &[
                ("item", "u64"),
                ("product", "u64"),
                ("brand", "string"),
                ("model", "string"),
                ("serial", "string"),
                ("edition", "u32"),
                ("edition_size", "u32"),
                ("owner", "PublicKey"),
                ("owners", "[OwnershipRecord]"),
            ],
        ),
    );
    add(
        "CatalogReceipt",
        output(
            "What a catalog transaction did once in a block.",
            &[
                ("hash", "Hash"),
                ("status", "TxStatus"),
                ("product", "u64?"),
                ("items", "[u64]"),
            ],
        ),
    );

    // Search.
    add(
        "SearchFilters",
        input(
            "Search filters; all optional.",
            &[
                ("?brand", "string?"),
                ("?category", "string?"),
                ("?min_price", "u64?"),
                ("?max_price", "u64?"),
                ("?has_open_raffle", "bool?"),
                ("?availability", "enum:any|available|sold_out"),
            ],
        ),
    );
    add(
        "SearchQuery",
        input(
            "A product search; every field has a default (page 1 of 20 by relevance).",
            &[
                ("?text", "string"),
                ("?filters", "SearchFilters"),
                ("?sort", "enum:relevance|newest|price_asc|price_desc"),
                ("?page", "u32"),
                ("?page_size", "u32"),
            ],
        ),
    );
    add(
        "ProductDoc",
        output(
            "A product as the search index holds it.",
            &[
                ("product_id", "u64"),
                ("brand", "string"),
                ("model", "string"),
                ("name_ko", "string"),
                ("name_en", "string"),
                ("category", "string"),
                ("description", "string"),
                ("price", "u64"),
                ("release_date", "u32"),
                ("shop_name", "string"),
                ("registered_height", "u64"),
                ("registered_tx", "string"),
                ("edition_size", "u32"),
                ("available", "u32"),
                ("sold", "u32"),
                ("has_open_raffle", "bool"),
            ],
        ),
    );
    add(
        "Highlight",
        output(
            "Names and a description snippet with the matches marked.",
            &[
                ("name_ko", "string"),
                ("name_en", "string"),
                ("snippet", "string"),
            ],
        ),
    );
    add(
        "LedgerRef",
        output(
            "Where a product was registered on the ledger.",
            &[("height", "u64"), ("tx_hash", "string")],
        ),
    );
    add(
        "SearchHit",
        output(
            "One search result.",
            &[
                ("product_id", "u64"),
                ("score", "f64"),
                ("product", "ProductDoc"),
                ("highlight", "Highlight"),
                ("ledger_ref", "LedgerRef"),
            ],
        ),
    );
    add(
        "SearchResults",
        output(
            "A page of search results.",
            &[
                ("total", "u64"),
                ("page", "u32"),
                ("page_size", "u32"),
                ("hits", "[SearchHit]"),
                ("relaxed", "bool"),
                ("indexed_height", "u64?"),
            ],
        ),
    );

    // Sellers and ads.
    add("SellerState", ty("enum:applied|approved|revoked"));
    add(
        "SellerStanding",
        output(
            "An account's seller standing.",
            &[
                ("account", "PublicKey"),
                ("role", "Role"),
                ("status", "AccountStatus"),
                ("seller", "SellerStatus"),
                ("may_register", "bool"),
                ("missed_reveals", "u32"),
                ("raffle_cooldown_until_ms", "u64?"),
            ],
        ),
    );
    add(
        "AdViewer",
        input(
            "Who views a page, for targeting; both optional.",
            &[("?gender", "Gender?"), ("?birth_year", "u16?")],
        ),
    );
    add(
        "AdBanner",
        output(
            "A live banner to show.",
            &[
                ("id", "u64"),
                ("title", "string"),
                ("image_url", "string"),
                ("placement", "string"),
                ("click_url", "string"),
                ("ends_at_ms", "u64"),
            ],
        ),
    );
    add(
        "AdminQuery",
        input(
            "An admin's signature over a read-only admin query.",
            &[
                ("admin", "PublicKey"),
                ("time_ms", "u64"),
                ("signature", "Signature"),
            ],
        ),
    );
    add(
        "CampaignStats",
        output(
            "One campaign's counts, summed over the nodes that answered.",
            &[
                ("ad", "u64"),
                ("title", "string"),
                ("placement", "string"),
                ("landing_url", "string"),
                ("active", "bool"),
                ("live", "bool"),
                ("starts_at_ms", "u64"),
                ("ends_at_ms", "u64"),
                ("impressions", "u64"),
                ("clicks", "u64"),
            ],
        ),
    );
    add(
        "NodeShare",
        output(
            "Whether a validator's counts are in the sums.",
            &[
                ("node", "PublicKey"),
                ("answered", "bool"),
                ("error", "string?"),
            ],
        ),
    );
    add(
        "AdStats",
        output(
            "Impressions and clicks of every campaign.",
            &[
                ("campaigns", "[CampaignStats]"),
                ("nodes", "[NodeShare]"),
                ("time_ms", "u64"),
            ],
        ),
    );

    // Proofs.
    add(
        "ItemQuery",
        json!({
            "description": "An item by id (`5`) or by serial.",
            "anyOf": [
                ty("u64"),
                input("An item by serial.", &[("brand", "string"), ("model", "string"), ("serial", "string")]),
            ],
        }),
    );
    add(
        "ProofBundleView",
        output(
            "A borsh-encoded proof bundle in hex, checked by `truffle_ledger::verify`.",
            &[("height", "u64"), ("size", "usize"), ("bundle", "HexBytes")],
        ),
    );

    // Members.
    add(
        "CodeSent",
        output(
            "A verification code was sent.",
            &[("expires_in_secs", "u64"), ("resend_after_secs", "u64")],
        ),
    );
    add(
        "PhoneVerified",
        output(
            "A single-use verification token for signup.",
            &[("verification_token", "string"), ("expires_in_secs", "u64")],
        ),
    );
    add(
        "LoggedIn",
        output(
            "A session every node accepts.",
            &[
                ("session_token", "string"),
                ("account", "PublicKey"),
                ("expires_at_ms", "u64"),
            ],
        ),
    );
    add(
        "SignupRequest",
        input(
            "A new member's data, with the phone's verification token.",
            &[
                ("email", "string"),
                ("password", "string"),
                ("name", "string"),
                ("gender", "Gender"),
                ("birth_year", "u16"),
                ("?address", "string?"),
                ("phone", "string"),
                ("verification_token", "string"),
                ("public_key", "PublicKey"),
            ],
        ),
    );
    add(
        "SignedUp",
        output(
            "The new member's account and the block that registered it.",
            &[("account", "PublicKey"), ("height", "u64")],
        ),
    );
    add(
        "MemberView",
        output(
            "A member's own data (My Page).",
            &[
                ("account", "PublicKey"),
                ("email", "string"),
                ("phone", "string"),
                ("name", "string"),
                ("gender", "Gender"),
                ("birth_year", "u16"),
                ("address", "string?"),
                ("role", "Role"),
                ("status", "AccountStatus"),
                ("seller", "SellerStatus"),
                ("registered_height", "u64"),
                ("member_since_ms", "u64"),
            ],
        ),
    );
    add(
        "UpdateRequest",
        input(
            "Profile changes; only the fields given change.",
            &[
                ("?name", "string?"),
                ("?gender", "Gender?"),
                ("?address", "string?"),
                ("?new_password", "string?"),
                ("?current_password", "string?"),
                ("?new_phone", "string?"),
                ("?phone_verification_token", "string?"),
            ],
        ),
    );
    add(
        "LinkCodeIssued",
        output(
            "A one-time code to send to the KakaoTalk channel.",
            &[
                ("code", "string"),
                ("expires_at_ms", "u64"),
                ("expires_in_secs", "u64"),
            ],
        ),
    );
    add(
        "KakaoLinkStatus",
        output(
            "Whether the account is linked to a Kakao user.",
            &[("linked", "bool"), ("linked_since_ms", "u64?")],
        ),
    );

    // Chat.
    add(
        "ChatSubject",
        json!({
            "description": "What a room is about: `{\"item\": id}` or `{\"order\": id}`.",
            "oneOf": [
                output("An item.", &[("item", "u64")]),
                output("An order.", &[("order", "u64")]),
            ],
        }),
    );
    add(
        "RoomView",
        output(
            "A chat room as one of its members sees it.",
            &[
                ("room", "Hash"),
                ("subject", "ChatSubject"),
                ("members", "[PublicKey]"),
                ("counterpart", "PublicKey"),
                ("opened_by", "PublicKey"),
                ("created_ms", "u64"),
                ("closed", "bool"),
                ("next_seq", "u64"),
            ],
        ),
    );
    add(
        "ChatMessage",
        output(
            "A stored chat message.",
            &[
                ("room", "Hash"),
                ("seq", "u64"),
                ("sender", "PublicKey"),
                ("text", "string"),
                ("sent_ms", "u64"),
            ],
        ),
    );
    add(
        "HistoryPage",
        output(
            "Messages, oldest first; `before` pages further back.",
            &[("messages", "[ChatMessage]"), ("before", "u64?")],
        ),
    );

    // Raffles.
    add("RaffleStatus", ty("enum:open|closed|drawn|void"));
    add(
        "RafflePhase",
        ty("enum:upcoming|accepting_entries|closing|awaiting_reveal|ready_to_draw|missed_reveal|drawn|void"),
    );
    add(
        "PageRequest",
        input(
            "Which page: `page` from 1, `page_size` 1 to 100 (default 20).",
            &[("?page", "u32?"), ("?page_size", "u32?")],
        ),
    );
    add(
        "EntryWindow",
        tagged(
            "When a raffle accepts entries.",
            "by",
            &[
                ("heights", &[("opens", "u64"), ("closes", "u64")]),
                ("times", &[("opens_ms", "u64"), ("closes_ms", "u64")]),
            ],
        ),
    );
    add(
        "RaffleSpec",
        output(
            "A raffle's rules as created.",
            &[
                ("items", "[u64]"),
                ("window", "EntryWindow"),
                ("price", "u64"),
                ("runners_up", "u32"),
                ("min_age", "u8?"),
                ("seed_commitment", "Hash"),
                ("reveal_blocks", "u64"),
                ("payment_window_ms", "u64"),
            ],
        ),
    );
    add(
        "ClosingBlock",
        output(
            "The block that closed a raffle's entry.",
            &[("height", "u64"), ("hash", "Hash")],
        ),
    );
    add(
        "DrawResult",
        output(
            "The outcome of a draw.",
            &[
                ("seed", "Hash"),
                ("seller_revealed", "bool"),
                ("winners", "[PublicKey]"),
                ("runners_up", "[PublicKey]"),
                ("drawn", "TxRef"),
            ],
        ),
    );
    add(
        "RaffleView",
        output(
            "A raffle with its phase.",
            &flat(&[
                RAFFLE,
                &[("phase", "RafflePhase"), ("reveal_deadline", "u64?")],
            ]),
        ),
    );
    add("RafflePage", page("RaffleView"));
    add(
        "RaffleEntry",
        output(
            "One entry in a raffle.",
            &[
                ("raffle", "u64"),
                ("position", "u32"),
                ("entrant", "PublicKey"),
                ("tx", "TxRef"),
                ("cancelled", "bool"),
            ],
        ),
    );
    add("RaffleEntryPage", page("RaffleEntry"));
    add(
        "Recomputed",
        output(
            "The draw as this node recomputes it.",
            &[
                ("seed", "Hash"),
                ("winners", "[PublicKey]"),
                ("runners_up", "[PublicKey]"),
            ],
        ),
    );
    add(
        "RaffleOutcome",
        output(
            "A draw's inputs and result, recorded and recomputed.",
            &[
                ("raffle", "u64"),
                ("status", "RaffleStatus"),
                ("phase", "RafflePhase"),
                ("seed_commitment", "Hash"),
                ("closing_block", "ClosingBlock?"),
                ("reveal_deadline", "u64?"),
                ("revealed_secret", "Hash?"),
                ("secret_matches_commitment", "bool?"),
                ("seller_missed_reveal", "bool"),
                ("entries", "u32"),
                ("eligible_entries", "u32"),
                ("items", "[u64]"),
                ("recorded", "DrawResult?"),
                ("recomputed", "Recomputed?"),
                ("matches", "bool?"),
            ],
        ),
    );
    add(
        "EntryOutcome",
        tagged(
            "What became of an entry.",
            "outcome",
            &[
                ("waiting", &[]),
                ("won", &[("item", "u64")]),
                ("runner_up", &[("rank", "u32")]),
                ("not_selected", &[]),
                ("cancelled", &[]),
                ("void", &[]),
            ],
        ),
    );
    add(
        "MyEntry",
        output(
            "One of the member's raffle entries.",
            &[
                ("raffle", "u64"),
                ("phase", "RafflePhase"),
                ("position", "u32"),
                ("tx", "TxRef"),
                ("outcome", "EntryOutcome"),
                ("price", "u64"),
                ("items", "[u64]"),
            ],
        ),
    );
    add("MyEntryPage", page("MyEntry"));

    // Orders and payments.
    add(
        "OrderStatus",
        ty("enum:pending|paid|expired|cancelled|refunded"),
    );
    add(
        "OrderSource",
        tagged(
            "Where an order came from.",
            "kind",
            &[("listing", &[]), ("raffle", &[("raffle", "u64")])],
        ),
    );
    add(
        "PaymentRecord",
        output(
            "A settled payment.",
            &[
                ("provider", "string"),
                ("payment_key", "string"),
                ("event_id", "string"),
                ("amount", "u64"),
                ("settled", "TxRef"),
            ],
        ),
    );
    add(
        "RefundRecord",
        output(
            "A refund.",
            &[
                ("amount", "u64"),
                ("reason", "string"),
                ("ownership_reversed", "bool"),
                ("refunded", "TxRef"),
            ],
        ),
    );
    add(
        "ItemSummary",
        output(
            "What an order is for.",
            &[
                ("id", "u64"),
                ("product", "u64"),
                ("brand", "string"),
                ("name", "string"),
                ("edition", "u32"),
                ("edition_size", "u32"),
                ("serial", "string"),
                ("owner", "PublicKey"),
            ],
        ),
    );
    add(
        "SettlementState",
        tagged(
            "Where a payment event's settlement stands.",
            "state",
            &[
                ("pending", &[]),
                ("settled", &[("height", "u64")]),
                ("refunded", &[("reason", "string")]),
                ("failed", &[("reason", "string")]),
                ("ignored", &[("reason", "string")]),
            ],
        ),
    );
    add(
        "PaymentEvent",
        output(
            "A verified payment event this node received, and what became of it.",
            &[
                ("provider", "string"),
                ("event_id", "string"),
                ("source", "enum:webhook|confirmation"),
                ("payment_key", "string"),
                ("order_ref", "string"),
                ("order", "u64?"),
                ("status", "string"),
                ("amount", "u64"),
                ("received_ms", "u64"),
                ("state", "SettlementState"),
                ("attempts", "u32"),
                ("last_error", "string?"),
                ("updated_ms", "u64"),
            ],
        ),
    );
    add(
        "OrderView",
        output(
            "An order with its item and this node's payment events.",
            &flat(&[
                ORDER,
                &[
                    ("order_ref", "string"),
                    ("item_summary", "ItemSummary?"),
                    ("overdue", "bool"),
                    ("settlements", "[PaymentEvent]"),
                ],
            ]),
        ),
    );
    add(
        "HistoryEntry",
        output(
            "One order in a member's history.",
            &[
                ("order", "u64"),
                ("role", "enum:buyer|seller"),
                ("status", "OrderStatus"),
                ("amount", "u64"),
                ("source", "OrderSource"),
                ("item", "ItemSummary?"),
                ("created", "TxRef"),
                ("payment", "PaymentRecord?"),
                ("refund", "RefundRecord?"),
                ("closed_reason", "string?"),
                ("expires_at_ms", "u64"),
                ("last_height", "u64"),
            ],
        ),
    );
    add("HistoryEntryPage", page("HistoryEntry"));
    add(
        "PaymentStatus",
        ty("enum:READY|IN_PROGRESS|WAITING_FOR_DEPOSIT|DONE|CANCELED|PARTIAL_CANCELED|ABORTED|EXPIRED"),
    );
    add(
        "Checkout",
        output(
            "The provider's checkout for an order.",
            &[
                ("provider", "string"),
                ("order_id", "string"),
                ("order_name", "string"),
                ("amount", "u64"),
                ("payment_key", "string?"),
                ("checkout_url", "string?"),
                ("widget", "any"),
                ("status", "PaymentStatus?"),
            ],
        ),
    );
    add(
        "ProviderPayment",
        output(
            "A payment as the provider reports it (camelCase, as the provider's API).",
            &[
                ("paymentKey", "string"),
                ("orderId", "string"),
                ("orderName", "string"),
                ("status", "PaymentStatus"),
                ("totalAmount", "u64"),
                ("balanceAmount", "u64"),
                ("approvedAt", "string?"),
                ("cancels", "[object]"),
            ],
        ),
    );
    add(
        "RefundReceipt",
        output(
            "A refund: the transaction, the provider's payment and the order after it.",
            &[
                ("hash", "Hash"),
                ("status", "TxStatus"),
                ("provider_payment", "ProviderPayment"),
                ("order", "OrderView"),
            ],
        ),
    );

    // Recommendations.
    add(
        "Reason",
        json!({
            "type": "object",
            "description": "Why a product is recommended: a kind, a Korean sentence, and the details.",
            "properties": {
                "kind": ty("enum:cohort|bought_together|similar|popular|new"),
                "text": ty("string"),
                "product": ty("u64"),
                "gender": ty("Gender"),
                "age_band": ty("u16"),
            },
            "required": ["kind", "text"],
            "additionalProperties": false,
        }),
    );
    add(
        "RecoItem",
        output(
            "A recommended product.",
            &[
                ("product", "u64"),
                ("name_ko", "string"),
                ("name_en", "string"),
                ("brand", "string"),
                ("category", "string"),
                ("price", "u64"),
                ("score", "f64"),
                ("reason", "Reason"),
            ],
        ),
    );
    add(
        "RecoPage",
        output(
            "One page of recommendations, and the block height of the model behind it.",
            &[
                ("items", "[RecoItem]"),
                ("page", "u32"),
                ("page_size", "u32"),
                ("has_more", "bool"),
                ("height", "u64"),
            ],
        ),
    );
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in `value`, recursively.
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    out.push(target.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(values) => values.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_names_a_defined_schema() {
        let all = components();
        let mut targets = Vec::new();
        refs(&Value::Object(all.clone()), &mut targets);
        for target in targets {
            let name = target
                .strip_prefix(SCHEMA_PREFIX)
                .expect("a local reference");
            assert!(all.contains_key(name), "{target} is not defined");
        }
    }

    #[test]
    fn the_notation_reads_options_arrays_and_enums() {
        assert_eq!(
            ty("[Hash]?"),
            json!({ "anyOf": [
                { "type": "array", "items": { "$ref": "#/components/schemas/Hash" } },
                { "type": "null" },
            ] })
        );
        assert_eq!(ty("enum:a|b")["enum"], json!(["a", "b"]));
    }
}

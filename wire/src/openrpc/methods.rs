//! One entry per JSON-RPC method: the reference's single source. Adding a method to an
//! API trait means adding its entry to [`all`] (the tests name what is missing).

use crate::codes;

use super::errors::ledger_codes;

/// What a method is to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A plain call.
    Call,
    /// Opens a subscription; the node then sends `notification`s.
    Subscribe {
        /// The notification method carrying each item.
        notification: &'static str,
        /// The type of each item, in the notation of [`super::schema::ty`].
        item: &'static str,
        /// The method that ends it.
        unsubscribe: &'static str,
    },
    /// Ends a subscription (its id is the only, positional, parameter).
    Unsubscribe,
}

/// One parameter: its name as jsonrpsee reads it by name (the Rust argument's name).
#[derive(Clone, Debug)]
pub struct ParamDoc {
    /// The name.
    pub name: &'static str,
    /// Its type in the notation of [`super::schema::ty`]; a trailing `?` makes it
    /// optional (`Option<T>` in the trait).
    pub notation: &'static str,
}

impl ParamDoc {
    /// Whether a call must give it.
    pub fn required(&self) -> bool {
        !self.notation.ends_with('?')
    }
}

/// One method.
#[derive(Clone, Debug)]
pub struct MethodDoc {
    /// The full method name, e.g. `chain_getHeader`.
    pub name: &'static str,
    /// One line, from the trait's doc comment.
    pub summary: &'static str,
    /// Parameters, in the trait's order (that is also the by-position order).
    pub params: Vec<ParamDoc>,
    /// The result's name and type notation.
    pub result: (&'static str, &'static str),
    /// Error codes it can return besides invalid params (added to any method with
    /// parameters).
    pub errors: Vec<i32>,
    /// Call, subscribe or unsubscribe.
    pub kind: Kind,
}

impl MethodDoc {
    fn param(mut self, name: &'static str, notation: &'static str) -> Self {
        self.params.push(ParamDoc { name, notation });
        self
    }

    fn returns(mut self, name: &'static str, notation: &'static str) -> Self {
        self.result = (name, notation);
        self
    }

    fn errors(mut self, codes: &[i32]) -> Self {
        self.errors.extend_from_slice(codes);
        self
    }

    fn ledger(mut self) -> Self {
        self.errors.extend(ledger_codes());
        self
    }
}

fn call(name: &'static str, summary: &'static str) -> MethodDoc {
    MethodDoc {
        name,
        summary,
        params: Vec::new(),
        result: ("result", "null"),
        errors: Vec::new(),
        kind: Kind::Call,
    }
}

/// A subscribe method and its unsubscribe method.
fn subscription(
    name: &'static str,
    summary: &'static str,
    notification: &'static str,
    item: &'static str,
    unsubscribe: &'static str,
) -> [MethodDoc; 2] {
    let subscribe = MethodDoc {
        kind: Kind::Subscribe {
            notification,
            item,
            unsubscribe,
        },
        ..call(name, summary).returns("subscription", "SubscriptionId")
    };
    let end = MethodDoc {
        kind: Kind::Unsubscribe,
        ..call(unsubscribe, "Ends the subscription; `true` if it was open.")
            .param("subscription", "SubscriptionId")
            .returns("closed", "bool")
    };
    [subscribe, end]
}

/// Errors of any method that reads a session.
const SESSION: &[i32] = &[
    codes::SESSION_INVALID,
    codes::ACCOUNT_NOT_ACTIVE,
    codes::UNAVAILABLE,
];
/// Errors of a lookup.
const LOOKUP: &[i32] = &[codes::NOT_FOUND, codes::UNAVAILABLE];
/// Errors of a submission, besides the ledger's rules.
const SUBMIT: &[i32] = &[codes::POOL_FULL, codes::UNAVAILABLE];
/// Errors of the market's member methods.
const MARKET: &[i32] = &[codes::NOT_FOUND, codes::UNAVAILABLE];
/// Errors of a chat method.
const CHAT: &[i32] = &[
    codes::CHAT_NO_ROOM,
    codes::SESSION_INVALID,
    codes::ACCOUNT_NOT_ACTIVE,
    codes::UNAVAILABLE,
];

/// Every method the node serves, namespace by namespace.
pub fn all() -> Vec<MethodDoc> {
    let mut all = vec![
        // system_*
        call(
            "system_health",
            "Role, leader, term, committed and applied positions, head, peers.",
        )
        .returns("health", "Health")
        .errors(&[codes::UNAVAILABLE]),
        call("system_version", "Software version and chain.").returns("version", "VersionView"),
        // admin_* (the operator's token: `Authorization: Bearer`)
        call(
            "admin_compact",
            "Flushes and compacts every column family now, while the node keeps running (operator only).",
        )
        .returns("report", "CompactionReport")
        .errors(&[codes::OPERATOR_REFUSED, codes::UNAVAILABLE]),
        call(
            "admin_backup",
            "Writes an online backup (RocksDB checkpoint, snapshot, manifest) to an absolute, empty folder outside the data folder (operator only).",
        )
        .param("to", "string")
        .returns("manifest", "BackupManifest")
        .errors(&[codes::OPERATOR_REFUSED, codes::BACKUP_TARGET_INVALID, codes::BACKUP_BUSY, codes::BACKUP_FAILED]),
        call(
            "system_peers",
            "The validators this node's transport knows, and whether each is connected.",
        )
        .returns("peers", "[PeerInfo]"),
        call(
            "system_partition",
            "Fault injection (testnet only): cut links to these validator keys.",
        )
        .param("keys", "[PublicKey]")
        .errors(&[codes::DISABLED]),
        call(
            "system_heal",
            "Fault injection (testnet only): restore all links.",
        )
        .errors(&[codes::DISABLED]),
        call(
            "system_equivocate",
            "Fault injection (testnet only): when `on`, this validator signs a second, different header at every height and sends it to half of the other validators instead of its honest vote.",
        )
        .param("on", "bool")
        .errors(&[codes::DISABLED]),
        call(
            "system_withholdVotes",
            "Fault injection (testnet only): when `on`, this validator signs no header, as if every vote it sent were lost; with `false` it votes again on the heights left uncertified.",
        )
        .param("on", "bool")
        .errors(&[codes::DISABLED]),
        call(
            "system_leaderFault",
            "Fault injection (testnet only): how this node lies about raffles' randomness in the blocks it proposes as leader: `honest`, `censor_contributions`, `forge_contributions` or `time_beyond_step`.",
        )
        .param("fault", "string")
        .errors(&[codes::DISABLED]),
        call(
            "system_sendFarFutureVotes",
            "Fault injection (testnet only): signs votes for `count` heights beyond the vote window above this validator's head and sends each to every other validator; returns how many of those sends were refused.",
        )
        .param("count", "u32")
        .returns("refused", "u64")
        .errors(&[codes::DISABLED, codes::INVALID_PARAMS, codes::UNAVAILABLE]),
        call(
            "system_proposeInvalidBlock",
            "Fault injection (testnet only, on the leader): proposes one block that breaks a genesis block rule, `oversized` (over `max_block_bytes`) or `future_time` (beyond the parent's time plus `max_block_time_step_ms`); returns the height of the block it made, or null when every node refused it.",
        )
        .param("kind", "string")
        .returns("height", "u64?")
        .errors(&[codes::DISABLED, codes::INVALID_PARAMS, codes::NO_LEADER, codes::UNAVAILABLE]),
        // chain_*
        call(
            "chain_getHeader",
            "The header at `height`, or the latest when omitted.",
        )
        .param("height", "u64?")
        .returns("header", "HeaderView")
        .errors(LOOKUP),
        call(
            "chain_getBlock",
            "The block at `height`, or the latest when omitted.",
        )
        .param("height", "u64?")
        .returns("block", "BlockView")
        .errors(LOOKUP),
        call(
            "chain_getCertificate",
            "The certificate of the block at `height` (signatures of more than two thirds of the validators).",
        )
        .param("height", "u64")
        .returns("certificate", "Certificate")
        .errors(LOOKUP),
        call(
            "chain_getCertifiedBlocks",
            "Certified blocks from `from` on, for auditors replaying the chain: at most `max` (default and most 64), stopping at the first block without a certificate here and once the answer passes 4 MiB. Each is the hex of the block's borsh encoding followed by its certificate's (`(Block, Certificate)`).",
        )
        .param("from", "u64")
        .param("max", "u32?")
        .returns("blocks", "[string]")
        .errors(LOOKUP),
        call(
            "chain_getReceipts",
            "The receipts of the block at `height` (transaction hashes and outcomes).",
        )
        .param("height", "u64")
        .returns("receipts", "[Receipt]")
        .errors(LOOKUP),
        call(
            "chain_getHeaders",
            "Headers from `from`, at most `limit` (at most 1000).",
        )
        .param("from", "u64")
        .param("limit", "u32")
        .returns("headers", "[HeaderView]")
        .errors(&[codes::UNAVAILABLE]),
        call(
            "chain_getEvidence",
            "Equivocation evidence this node holds, by height from `from` (0 when omitted), at most `limit` (default and most 100); each record checks offline with `truffle verify evidence`.",
        )
        .param("from", "u64?")
        .param("limit", "u32?")
        .returns("evidence", "[Evidence]"),
        call(
            "chain_submitEvidence",
            "Files an equivocation record (for example one `truffle verify` wrote) after checking it against the validators of its height, and sends it on to every validator; returns whether it was new here.",
        )
        .param("evidence", "Evidence")
        .returns("new", "bool")
        .errors(&[codes::INVALID_PARAMS]),
        call(
            "chain_getValidators",
            "The validator set in force after the latest applied block: keys, names, peer addresses, the height each joined (read-only).",
        )
        .returns("validators", "[Validator]")
        .errors(&[codes::UNAVAILABLE]),
    ];
    all.extend(subscription(
        "chain_subscribeNewHeads",
        "Every new header, as blocks are applied.",
        "chain_newHead",
        "HeaderView",
        "chain_unsubscribeNewHeads",
    ));
    all.extend([
        // tx_*
        call("tx_submit", "Submits a signed transaction (hex of its borsh encoding); returns its hash.")
            .param("transaction", "HexBytes")
            .returns("hash", "Hash")
            .errors(SUBMIT)
            .ledger(),
        call("tx_submitBatch", "Submits up to 1000 signed transactions (hex) in one call: one outcome each, in order, each checked as `submit` checks one; a refused one does not stop the others.")
            .param("transactions", "[HexBytes]")
            .returns("outcomes", "[SubmitOutcome]")
            .errors(&[codes::INVALID_PARAMS, codes::UNAVAILABLE])
            .ledger(),
        call("tx_submitAndWait", "Submits and waits until the transaction is in a block (or `timeout_ms`, at most 60000, passes).")
            .param("transaction", "HexBytes")
            .param("timeout_ms", "u64?")
            .returns("status", "TxStatus")
            .errors(SUBMIT)
            .ledger(),
        call("tx_status", "Where a transaction stands: pending, committed, rejected or unknown.")
            .param("hash", "Hash")
            .returns("status", "TxStatus")
            .errors(&[codes::UNAVAILABLE]),
        call("tx_get", "A committed or rejected transaction.")
            .param("hash", "Hash")
            .returns("transaction", "TransactionView")
            .errors(LOOKUP),
        // account_*
        call("account_getNonce", "The nonce the account's next transaction must carry (0 for unknown accounts).")
            .param("account", "PublicKey")
            .returns("nonce", "u64")
            .errors(&[codes::UNAVAILABLE]),
        call("account_get", "The account's ledger record: key, role, status, seller standing.")
            .param("account", "PublicKey")
            .returns("account", "Account")
            .errors(LOOKUP),
        call("account_signup", "Creates a member with a verified phone (consumes the verification token).")
            .param("request", "SignupRequest")
            .returns("signed_up", "SignedUp")
            .errors(&[
                codes::INVALID_PHONE, codes::VERIFICATION_INVALID, codes::EMAIL_TAKEN, codes::PHONE_TAKEN,
                codes::WEAK_PASSWORD, codes::INVALID_EMAIL, codes::INVALID_FIELD, codes::ACCOUNT_TAKEN,
                codes::ATTEMPTS_THROTTLED, codes::BUSY, codes::UNAVAILABLE,
            ])
            .ledger(),
        call("account_me", "The logged-in member's data (My Page).")
            .param("session_token", "string")
            .returns("member", "MemberView")
            .errors(SESSION),
        call("account_update", "Changes profile data; a new password needs the current one, a new phone a new verification token.")
            .param("session_token", "string")
            .param("changes", "UpdateRequest")
            .returns("member", "MemberView")
            .errors(SESSION)
            .errors(&[
                codes::INVALID_PHONE, codes::VERIFICATION_INVALID, codes::PHONE_TAKEN, codes::WEAK_PASSWORD,
                codes::INVALID_FIELD, codes::WRONG_PASSWORD, codes::ATTEMPTS_THROTTLED, codes::BUSY,
            ]),
        call("account_delete", "Withdraws the member (needs the password); returns the block height.")
            .param("session_token", "string")
            .param("password", "string")
            .returns("height", "u64")
            .errors(SESSION)
            .errors(&[codes::WRONG_PASSWORD, codes::ATTEMPTS_THROTTLED, codes::BUSY])
            .ledger(),
        call("account_kakaoLinkCode", "A one-time 6-digit code (valid a few minutes) to send to the Truffle KakaoTalk channel.")
            .param("session_token", "string")
            .returns("code", "LinkCodeIssued")
            .errors(SESSION)
            .errors(&[codes::KAKAO_CODE_THROTTLED]),
        call("account_kakaoUnlink", "Removes the link to a Kakao user; `true` if there was one.")
            .param("session_token", "string")
            .returns("unlinked", "bool")
            .errors(SESSION),
        call("account_kakaoStatus", "Whether the account is linked to a Kakao user.")
            .param("session_token", "string")
            .returns("status", "KakaoLinkStatus")
            .errors(SESSION),
        // auth_*
        call("auth_requestPhoneCode", "Sends a 6-digit code by SMS (throttled per phone and per client address).")
            .param("phone", "string")
            .returns("sent", "CodeSent")
            .errors(&[codes::INVALID_PHONE, codes::CODE_THROTTLED, codes::SMS_FAILED, codes::PHONE_TAKEN, codes::UNAVAILABLE]),
        call("auth_verifyPhoneCode", "Checks the code; returns a short-lived, single-use verification token for signup.")
            .param("phone", "string")
            .param("code", "string")
            .returns("verified", "PhoneVerified")
            .errors(&[
                codes::INVALID_PHONE, codes::WRONG_CODE, codes::CODE_EXPIRED, codes::CODE_EXHAUSTED,
                codes::VERIFICATION_INVALID, codes::ATTEMPTS_THROTTLED, codes::UNAVAILABLE,
            ]),
        call("auth_login", "Email and password → a session token that every node accepts.")
            .param("email", "string")
            .param("password", "string")
            .returns("session", "LoggedIn")
            .errors(&[codes::WRONG_CREDENTIALS, codes::LOGIN_THROTTLED, codes::BUSY, codes::ACCOUNT_NOT_ACTIVE, codes::UNAVAILABLE]),
        call("auth_resetPassword", "Sets a new password for the member whose email this is and whose phone the verification token proves; the token is used up and every session of the account ends.")
            .param("request", "ResetPasswordRequest")
            .errors(&[
                codes::RESET_REFUSED, codes::INVALID_PHONE, codes::WEAK_PASSWORD,
                codes::LOGIN_THROTTLED, codes::BUSY, codes::UNAVAILABLE,
            ]),
        call("auth_logout", "Ends the session on every node.")
            .param("session_token", "string")
            .errors(SESSION),
        // product_*, seller_*, ad_*
        call("product_get", "A product with its pieces, their owners and status.")
            .param("product", "u64")
            .returns("product", "ProductView")
            .errors(LOOKUP),
        call("product_getItem", "One piece: its product, owner and status.")
            .param("item", "u64")
            .returns("item", "ItemView")
            .errors(LOOKUP),
        call("product_search", "Searches products: Korean, English or mixed text, filters (the registering seller among them), sort and paging.")
            .param("query", "SearchQuery")
            .returns("results", "SearchResults")
            .errors(&[codes::INVALID_SEARCH, codes::CATALOG_NOT_READY, codes::UNAVAILABLE]),
        call("product_popular", "The most popular products from the node's catalog read model: most pieces sold, then an open raffle, then the newest; `limit` 1 to 100, default 6.")
            .param("limit", "u32?")
            .returns("results", "SearchResults")
            .errors(&[codes::INVALID_SEARCH, codes::CATALOG_NOT_READY, codes::UNAVAILABLE]),
        call("product_history", "Every owner a piece has had, oldest first, each with the transaction that made it the owner.")
            .param("item", "u64")
            .returns("history", "ItemHistory")
            .errors(&[codes::NOT_FOUND, codes::CATALOG_NOT_READY, codes::UNAVAILABLE]),
        call("product_register", "Submits a seller-signed `register_product` transaction, waits for its block and returns the product and piece ids.")
            .param("transaction", "HexBytes")
            .param("timeout_ms", "u64?")
            .returns("receipt", "CatalogReceipt")
            .errors(&[codes::WRONG_KIND])
            .errors(SUBMIT)
            .ledger(),
        call("product_transfer", "Submits an owner-signed `transfer_item` transaction and waits for its block, like `product_register`.")
            .param("transaction", "HexBytes")
            .param("timeout_ms", "u64?")
            .returns("receipt", "CatalogReceipt")
            .errors(&[codes::WRONG_KIND])
            .errors(SUBMIT)
            .ledger(),
        call("seller_get", "An account's seller standing.")
            .param("account", "PublicKey")
            .returns("standing", "SellerStanding")
            .errors(LOOKUP),
        call("seller_list", "Accounts that applied to sell, by key, optionally by status; paged by `after` and `limit` (default 100, at most 1000).")
            .param("status", "SellerState?")
            .param("after", "PublicKey?")
            .param("limit", "u32?")
            .returns("sellers", "[SellerStanding]")
            .errors(&[codes::UNAVAILABLE]),
        call("ad_list", "The live campaigns of a page that target the viewer; counts an impression for each.")
            .param("placement", "string")
            .param("viewer", "AdViewer?")
            .returns("banners", "[AdBanner]")
            .errors(&[codes::UNAVAILABLE]),
        call("ad_stats", "Impressions and clicks of every campaign, summed over the validators that answer (admin only).")
            .param("query", "AdminQuery")
            .returns("stats", "AdStats")
            .errors(&[codes::ADMIN_REFUSED, codes::ADMIN_QUERY_EXPIRED, codes::UNAVAILABLE]),
        // proof_*
        call("proof_item", "An item's authenticity and owner, by id or by serial: an `ItemProof`.")
            .param("query", "ItemQuery")
            .returns("proof", "ProofBundleView")
            .errors(LOOKUP)
            .errors(&[codes::BUSY]),
        call("proof_history", "An item with every ownership change, each in a certified block: a `HistoryProof`.")
            .param("query", "ItemQuery")
            .returns("proof", "ProofBundleView")
            .errors(LOOKUP)
            .errors(&[codes::BUSY]),
        call("proof_raffle", "A raffle, its entries and its closing block: a `RaffleProof`. Without `page`, every entry (-32602 past 500 entries: ask pages); with `page`, entries `first..first + limit` (limit 1..=500) anchored at `at` (the first page's height), which concatenate into the whole bundle.")
            .param("raffle", "u64")
            .param("page", "RaffleProofPage?")
            .returns("proof", "ProofBundleView")
            .errors(LOOKUP)
            .errors(&[codes::BUSY]),
        call("proof_absence", "Whether a serial number is registered; for one never registered, an `AbsenceProof`.")
            .param("brand", "string")
            .param("model", "string")
            .param("serial", "string")
            .returns("proof", "ProofBundleView")
            .errors(&[codes::BUSY, codes::UNAVAILABLE]),
        // reco_* (pages count from 1; page_size 1..=50, default 12; page × page_size ≤ 200)
        call("reco_forMe", "For the logged-in member: their gender × age band, purchase and raffle history; never a product they own or bought, never a sold-out one.")
            .param("session_token", "string")
            .param("page", "u32?")
            .param("page_size", "u32?")
            .returns("page", "RecoPage")
            .errors(SESSION),
        call("reco_forVisitor", "For a visitor, by gender and birth year when given (nothing is stored).")
            .param("gender", "Gender?")
            .param("birth_year", "u16?")
            .param("page", "u32?")
            .param("page_size", "u32?")
            .returns("page", "RecoPage")
            .errors(&[codes::UNAVAILABLE]),
        call("reco_similar", "Products like this one: bought together with it, or the same brand, model, category or price band.")
            .param("product", "u64")
            .param("page", "u32?")
            .param("page_size", "u32?")
            .returns("page", "RecoPage")
            .errors(LOOKUP),
        call("reco_forUser", "What an account would be shown (admins only: the query signed for reco_forUser by an active admin key).")
            .param("query", "AdminQuery")
            .param("account", "PublicKey")
            .param("page", "u32?")
            .param("page_size", "u32?")
            .returns("page", "RecoPage")
            .errors(&[codes::ADMIN_REFUSED, codes::ADMIN_QUERY_EXPIRED, codes::UNAVAILABLE]),
        // chat_*
        call("chat_openRoom", "Opens the caller's room about `subject` with `counterpart`, or returns the existing one.")
            .param("session_token", "string")
            .param("subject", "ChatSubject")
            .param("counterpart", "PublicKey?")
            .returns("room", "RoomView")
            .errors(CHAT)
            .errors(&[codes::CHAT_UNKNOWN_SUBJECT, codes::CHAT_BAD_COUNTERPART, codes::CHAT_TOO_MANY_ROOMS]),
        call("chat_rooms", "The caller's rooms, the one with the latest message first, each with the caller's unread count.")
            .param("session_token", "string")
            .returns("rooms", "[RoomView]")
            .errors(CHAT),
        call("chat_send", "Sends a message (1 to 1000 characters; rate-limited per member); returns it as stored.")
            .param("session_token", "string")
            .param("room", "Hash")
            .param("text", "string")
            .returns("message", "ChatMessage")
            .errors(CHAT)
            .errors(&[codes::CHAT_MESSAGE_SIZE, codes::CHAT_RATE_LIMITED, codes::CHAT_ROOM_CLOSED]),
        call("chat_history", "Messages before sequence number `before` (the newest when omitted), at most `limit` (1..=100, default 50), oldest first.")
            .param("session_token", "string")
            .param("room", "Hash")
            .param("before", "u64?")
            .param("limit", "u32?")
            .returns("page", "HistoryPage")
            .errors(CHAT),
        call("chat_markRead", "Marks the room's messages before `upto` (all when omitted) read by the caller; returns the room with the caller's unread count now.")
            .param("session_token", "string")
            .param("room", "Hash")
            .param("upto", "u64?")
            .returns("room", "RoomView")
            .errors(CHAT),
    ]);
    let [subscribe, unsubscribe] = subscription(
        "chat_subscribe",
        "Every new message of the room as this node applies it (WebSocket only).",
        "chat_message",
        "ChatMessage",
        "chat_unsubscribe",
    );
    all.push(
        subscribe
            .param("session_token", "string")
            .param("room", "Hash")
            .errors(CHAT)
            .errors(&[codes::CHAT_TOO_MANY_SUBSCRIPTIONS]),
    );
    all.push(unsubscribe);
    let [subscribe, unsubscribe] = subscription(
        "chat_subscribeInbox",
        "Every new message of any of the caller's rooms (rooms opened later included) as this node applies it (WebSocket only).",
        "chat_inbox",
        "ChatMessage",
        "chat_unsubscribeInbox",
    );
    all.push(
        subscribe
            .param("session_token", "string")
            .errors(CHAT)
            .errors(&[codes::CHAT_TOO_MANY_SUBSCRIPTIONS]),
    );
    all.push(unsubscribe);
    all.extend([
        // raffle_*
        call("raffle_get", "A raffle: its rules, entry count, closing block, revealed secret, draw result, and its phase.")
            .param("raffle", "u64")
            .returns("raffle", "RaffleView")
            .errors(LOOKUP),
        call("raffle_list", "Raffles, newest first, optionally only `open`, `closed`, `drawn`, `void` or `cancelled` ones and only those of one seller (with their entry counts); paged.")
            .param("status", "RaffleStatus?")
            .param("page", "PageRequest?")
            .param("seller", "PublicKey?")
            .returns("page", "RafflePage")
            .errors(MARKET),
        call("raffle_entries", "A raffle's entries in entry order (the order the draw picks from), paged.")
            .param("raffle", "u64")
            .param("page", "PageRequest?")
            .returns("page", "RaffleEntryPage")
            .errors(MARKET),
        call("raffle_result", "The draw's inputs and result, recorded and recomputed by this node, and whether they match.")
            .param("raffle", "u64")
            .returns("outcome", "RaffleOutcome")
            .errors(LOOKUP)
            .errors(&[codes::BUSY]),
        call("raffle_myEntries", "The logged-in member's entries, newest raffle first, each with its outcome.")
            .param("session_token", "string")
            .param("page", "PageRequest?")
            .returns("page", "MyEntryPage")
            .errors(SESSION),
        // order_*, payment_*
        call("order_get", "An order: item, buyer, seller, amount, status, deadline, payment and refund records, payment events.")
            .param("order", "u64")
            .returns("order", "OrderView")
            .errors(LOOKUP),
        call("order_refund", "Refunds a paid order with an admin- (or operator-) signed `refund_order` transaction and waits for its block.")
            .param("transaction", "HexBytes")
            .param("timeout_ms", "u64?")
            .returns("receipt", "RefundReceipt")
            .errors(&[
                codes::NOT_FOUND, codes::WRONG_KIND, codes::REFUND_REFUSED, codes::REFUND_INCOMPLETE,
                codes::PROVIDER_FAILED, codes::PAYMENTS_DISABLED,
            ])
            .errors(SUBMIT)
            .ledger(),
        call("order_openRefunds", "The open refund requests (waiting for a decision, or approved and being refunded), oldest order first, paged.")
            .param("page", "PageRequest?")
            .returns("page", "OrderViewPage")
            .errors(MARKET),
        call("payment_start", "Opens the provider's checkout for an order the session's member must pay.")
            .param("session_token", "string")
            .param("order", "u64")
            .returns("checkout", "Checkout")
            .errors(SESSION)
            .errors(&[
                codes::NOT_FOUND, codes::NOT_YOUR_ORDER, codes::NOT_PAYABLE,
                codes::PAYMENTS_DISABLED, codes::PROVIDER_FAILED,
            ]),
        call("payment_confirm", "Confirms the payment made at the provider for exactly the order's amount, settles it and returns the order.")
            .param("session_token", "string")
            .param("order", "u64")
            .param("payment_key", "string")
            .returns("order", "OrderView")
            .errors(SESSION)
            .errors(&[
                codes::NOT_FOUND, codes::NOT_YOUR_ORDER, codes::NOT_PAYABLE,
                codes::PAYMENTS_DISABLED, codes::PROVIDER_FAILED, codes::AMOUNT_MISMATCH,
                codes::POOL_FULL,
            ])
            .ledger(),
        call("payment_history", "The logged-in member's orders as buyer and seller with their payments and refunds, latest first, paged.")
            .param("session_token", "string")
            .param("page", "PageRequest?")
            .returns("page", "HistoryEntryPage")
            .errors(SESSION),
        // rpc.discover
        call(super::DISCOVER_METHOD, "This document: the OpenRPC reference of every method.")
            .returns("openrpc", "object"),
    ]);
    all
}

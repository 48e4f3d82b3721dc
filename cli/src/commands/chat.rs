//! `truffle chat ...` (member chat) and `truffle account kakao-code|kakao-unlink`.

use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use truffle_ledger::{Hash, PublicKey};
use truffle_wire::api::{ChatApiClient, KakaoAccountApiClient};
use truffle_wire::chat::{ChatMessage, ChatSubject, RoomView};

use crate::client::{connect, explain};
use crate::common_args::SessionArgs;
use crate::output::print;

/// `truffle chat ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ChatCommand {
    /// Open (or find) my room about an item (with its owner) or an order (with the other party).
    Open {
        /// The item to ask its owner about.
        #[arg(long, conflicts_with = "order", required_unless_present = "order")]
        item: Option<u64>,
        /// The order to talk about with its buyer or seller.
        #[arg(long)]
        order: Option<u64>,
        /// The other member's key (defaults to the item's owner or the order's other party).
        #[arg(long)]
        counterpart: Option<PublicKey>,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// List my rooms.
    Rooms {
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Send a message to a room.
    Send {
        /// Room id (hex).
        room: Hash,
        /// The message (1 to 1000 characters).
        text: String,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Show a room's messages, oldest first.
    History {
        /// Room id (hex).
        room: Hash,
        /// Only messages before this sequence number.
        #[arg(long)]
        before: Option<u64>,
        /// How many (1 to 100).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Print a room's new messages as they arrive (WebSocket), until Ctrl-C.
    Watch {
        /// Room id (hex).
        room: Hash,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
}

fn read_session(args: &SessionArgs) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(&args.session_file).with_context(|| {
        format!(
            "not logged in (no {}): run `truffle account login`",
            args.session_file.display()
        )
    })?;
    Ok(text.trim().to_owned())
}

/// `HH:MM:SS` in KST (UTC+9), enough to read a conversation.
fn kst(ms: u64) -> String {
    let seconds = (ms / 1000 + 9 * 3600) % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn line(message: &ChatMessage, me: Option<&PublicKey>) -> String {
    let who = if Some(&message.sender) == me {
        "me".to_owned()
    } else {
        let hex = message.sender.to_hex();
        format!("{}…", &hex[..8.min(hex.len())])
    };
    format!(
        "#{:<4} {} {who:>9}: {}",
        message.seq,
        kst(message.sent_ms),
        message.text
    )
}

fn room_text(room: &RoomView) -> String {
    let subject = match room.subject {
        ChatSubject::Item(id) => format!("item {id}"),
        ChatSubject::Order(id) => format!("order {id}"),
    };
    format!(
        "room {}\n  about {subject} with {}{}\n  messages so far: {}",
        room.room,
        room.counterpart,
        if room.closed {
            " (closed: read-only)"
        } else {
            ""
        },
        room.next_seq
    )
}

fn ws_url(http: &str) -> String {
    if let Some(rest) = http.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = http.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        http.to_owned()
    }
}

pub(crate) async fn run(command: ChatCommand) -> anyhow::Result<()> {
    match command {
        ChatCommand::Open {
            item,
            order,
            counterpart,
            session,
        } => {
            let subject = match (item, order) {
                (Some(item), None) => ChatSubject::Item(item),
                (None, Some(order)) => ChatSubject::Order(order),
                _ => bail!("give --item or --order"),
            };
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            let room = client
                .open_room(token, subject, counterpart)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &room, || room_text(&room));
        }
        ChatCommand::Rooms { session } => {
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            let rooms = client
                .rooms(token)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &rooms, || {
                if rooms.is_empty() {
                    "no chat rooms yet".to_owned()
                } else {
                    rooms.iter().map(room_text).collect::<Vec<_>>().join("\n")
                }
            });
        }
        ChatCommand::Send {
            room,
            text,
            session,
        } => {
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            let sent = client
                .send(token, room, text)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &sent, || {
                format!("sent #{} at {}", sent.seq, kst(sent.sent_ms))
            });
        }
        ChatCommand::History {
            room,
            before,
            limit,
            session,
        } => {
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            let page = client
                .history(token, room, before, Some(limit))
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &page, || {
                let mut out: Vec<String> = page.messages.iter().map(|m| line(m, None)).collect();
                if let Some(before) = page.before {
                    out.push(format!("(older: --before {before})"));
                }
                if out.is_empty() {
                    "no messages".to_owned()
                } else {
                    out.join("\n")
                }
            });
        }
        ChatCommand::Watch { room, session } => {
            use jsonrpsee::core::client::Subscription;
            let token = read_session(&session)?;
            let url = ws_url(&session.rpc.rpc);
            let client = jsonrpsee_ws_client::WsClientBuilder::default()
                .request_timeout(Duration::from_secs(30))
                .build(&url)
                .await
                .with_context(|| format!("cannot open a WebSocket to {url}"))?;
            let mut subscription: Subscription<ChatMessage> = client
                .subscribe_room(token, room)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            eprintln!("watching room {room} (Ctrl-C to stop)");
            let mut signals = crate::commands::Signals::listen()?;
            loop {
                tokio::select! {
                    next = subscription.next() => match next {
                        Some(Ok(message)) => print(session.rpc.output, &message, || line(&message, None)),
                        Some(Err(error)) => bail!("the subscription failed: {error}"),
                        None => {
                            eprintln!("the node ended the subscription (session ended or room closed)");
                            return Ok(());
                        }
                    },
                    _ = signals.next() => return Ok(()),
                }
            }
        }
    }
    Ok(())
}

/// `truffle account kakao-code`
pub(crate) async fn kakao_code(session: SessionArgs) -> anyhow::Result<()> {
    let token = read_session(&session)?;
    let client = connect(&session.rpc.rpc)?;
    let issued = client
        .kakao_link_code(token)
        .await
        .map_err(|e| explain(e, &session.rpc.rpc))?;
    print(session.rpc.output, &issued, || {
        format!(
            "send \"연동 {}\" to the Truffle KakaoTalk channel within {} s",
            issued.code, issued.expires_in_secs
        )
    });
    Ok(())
}

/// `truffle account kakao-unlink`
pub(crate) async fn kakao_unlink(session: SessionArgs) -> anyhow::Result<()> {
    let token = read_session(&session)?;
    let client = connect(&session.rpc.rpc)?;
    let removed = client
        .kakao_unlink(token)
        .await
        .map_err(|e| explain(e, &session.rpc.rpc))?;
    print(session.rpc.output, &removed, || {
        if removed {
            "the KakaoTalk link is removed".to_owned()
        } else {
            "no KakaoTalk chat was linked".to_owned()
        }
    });
    Ok(())
}

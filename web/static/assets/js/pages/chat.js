// Chat with the other party of a piece (a buyer asks its owner) or of an order (its buyer
// and seller): the list of the member's rooms with their unread counts, and a
// conversation that new messages join live (the tab's inbox subscription, live.js).

import { dateTime, t } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, fill, h, shortKey, status } from "../ui.js";
import { session, token } from "../session.js";
import { go } from "../nav.js";
import { inbox, refreshUnread } from "../live.js";
import { productName } from "./common.js";

function subjectText(subject) {
  if (subject.item !== undefined) return t("chat.about.item", { id: subject.item });
  return t("chat.about.order", { id: subject.order });
}

function subjectLink(subject) {
  const href = subject.item !== undefined ? `#/item/${subject.item}` : `#/order/${subject.order}`;
  return h("a", { href }, subjectText(subject));
}

/**
 * A button that opens (or finds) the member's room about `subject` ({ item } or
 * { order }) and goes to it; for guests, a link to log in.
 */
export function chatButton(subject, label) {
  if (!session()) return h("a.button.secondary.small.chat-open", { href: "#/login" }, t("chat.loginToChat"));
  const statusEl = h("span.chat-open-status", { "aria-live": "polite" });
  const button = h("button.secondary.small.chat-open", { type: "button" }, label);
  button.addEventListener("click", async () => {
    try {
      const room = await busy(button, statusEl, () => rpc("chat_openRoom", [token(), subject, null]));
      go(`/chat/${room.room}`);
    } catch {
      // Shown by busy().
    }
  });
  return h("span.chat-open-box", button, statusEl);
}

/** What a room is about, in words (the product's name for an item, when it loads). */
async function roomTitle(room) {
  if (room.subject.item === undefined) return subjectText(room.subject);
  try {
    const view = await rpc("product_getItem", [room.subject.item]);
    return `${productName(view.product)} ${t("product.piece", { k: view.item.edition, n: view.item.edition_size })}`;
  } catch {
    return subjectText(room.subject);
  }
}

export async function renderChats(main) {
  if (!session()) {
    go("/login");
    return;
  }
  add(main, h("h1", t("chat.title")));
  const rooms = await rpc("chat_rooms", [token()]);
  refreshUnread();
  if (!rooms.length) {
    add(main, h("p.empty", t("chat.noRooms")));
    return;
  }
  const titles = await Promise.all(rooms.map(roomTitle));
  add(main, h("ul.rooms#rooms", rooms.map((room, i) => h("li.room", { "data-room": room.room, "data-unread": String(room.unread) },
    h("a.room-link", { href: `#/chat/${room.room}` },
      h("span.room-title", titles[i]),
      h("span.room-meta", `${t("chat.with", { who: shortKey(room.counterpart) })}`,
        room.last_message_ms ? ` · ${dateTime(room.last_message_ms)}` : "",
        room.closed ? ` · ${t("chat.closedShort")}` : ""),
      room.unread > 0
        ? h("span.badge.unread", { "aria-label": t("chat.unread", { n: room.unread }) }, String(room.unread))
        : null)))));
}

function messageItem(message, me) {
  const mine = message.sender === me;
  return h(`li.message${mine ? ".mine" : ".theirs"}`, { "data-seq": String(message.seq) },
    h("p.text", message.text),
    h("p.meta", mine ? t("common.you") : shortKey(message.sender), " · ", dateTime(message.sent_ms)));
}

export async function renderChat(main, { params: [roomId], isCurrent }) {
  if (!session()) {
    go("/login");
    return;
  }
  const me = session().account;
  const rooms = await rpc("chat_rooms", [token()]);
  const room = rooms.find((r) => r.room === roomId);
  if (!room) {
    add(main, h("h1", t("chat.title")), status("error", t("error.6010")));
    return;
  }
  const title = await roomTitle(room);
  const list = h("ol.messages#messages", { "aria-live": "polite", "aria-label": t("chat.messages") });
  const shown = new Set();
  let oldest = null;
  const show = (messages, { prepend = false } = {}) => {
    const fresh = messages.filter((m) => !shown.has(m.seq));
    fresh.forEach((m) => shown.add(m.seq));
    const items = fresh.map((m) => messageItem(m, me));
    if (prepend) list.prepend(...items);
    else list.append(...items);
    if (!list.children.length) fill(list, h("li.empty", t("chat.empty")));
    else list.querySelector(".empty")?.remove();
  };
  const earlier = h("button.secondary.small#earlier", { type: "button", hidden: true }, t("chat.earlier"));
  const loadPage = async (before) => {
    const page = await rpc("chat_history", [token(), roomId, before, 50]);
    show(page.messages, { prepend: before !== null });
    oldest = page.before;
    earlier.hidden = oldest === null;
  };
  earlier.addEventListener("click", () => loadPage(oldest).catch(() => {}));

  const text = h("textarea#chat-text", { name: "text", rows: "2", maxlength: "1000", required: true,
    placeholder: t("chat.placeholder"), "aria-label": t("chat.placeholder") });
  const sendButton = h("button.primary#chat-send", { type: "submit" }, t("chat.send"));
  const statusEl = h("div", { "aria-live": "polite" });
  const composer = h("form.composer#chat-form", text, sendButton);
  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    try {
      const sent = await busy(sendButton, statusEl, () => rpc("chat_send", [token(), roomId, value]), t("chat.sending"));
      fill(statusEl);
      text.value = "";
      show([sent]);
      text.focus();
    } catch {
      // Shown by busy().
    }
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  add(main,
    h("p.crumbs", h("a", { href: "#/chat" }, t("chat.title"))),
    h("h1", title),
    h("p.sub", subjectLink(room.subject), " · ", t("chat.with", { who: shortKey(room.counterpart) })),
    h("section.panel.chat#chat", { "data-room": roomId },
      earlier, list,
      room.closed ? status("info", t("chat.closed")) : [composer, statusEl],
      h("p.small.live-note", t("chat.liveNote"))));
  await loadPage(null);
  if (!isCurrent()) return;

  const markRead = () => rpc("chat_markRead", [token(), roomId, null]).then(() => refreshUnread()).catch(() => {});
  await markRead();
  // New messages of this room join the conversation while it is on screen.
  const onMessage = (event) => {
    const message = event.detail;
    if (!document.body.contains(list)) {
      inbox.removeEventListener("message", onMessage);
      return;
    }
    if (message.room !== roomId) return;
    show([message]);
    list.lastElementChild?.scrollIntoView({ block: "nearest" });
    if (message.sender !== me) markRead();
  };
  inbox.addEventListener("message", onMessage);
}


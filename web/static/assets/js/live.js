// The live side of chat: one WebSocket per tab to the node that served the page, with
// one subscription, `chat_subscribeInbox`, that brings every new message of the
// member's rooms; and the member's unread count, shown in the header.
//
// Pages listen to `inbox` ("message" events, detail = the message) instead of opening
// subscriptions of their own, so a tab holds one subscription on the node however many
// pages it visits. The socket reconnects (with back-off) when it drops; the unread count
// is read again then, so nothing missed meanwhile is left uncounted.

import { rpc } from "./rpc.js";
import { session, token } from "./session.js";

/** Every new message of the member's rooms: `message` events, `detail` the message. */
export const inbox = new EventTarget();

let socket = null;
let socketToken = null;
let nextId = 1;
let subscriptionId = null;
let retryMs = 500;
let retryTimer = null;
let unread = 0;
let unreadTimer = null;
const pending = new Map();

/** The member's unread messages, as last read. */
export function unreadCount() {
  return unread;
}

function showUnread() {
  for (const el of document.querySelectorAll("[data-chat-unread]")) {
    el.textContent = unread > 0 ? String(unread) : "";
    el.hidden = unread === 0;
    el.setAttribute("data-count", String(unread));
  }
  inbox.dispatchEvent(new CustomEvent("unread", { detail: unread }));
}

/** Reads the unread count again (`chat_rooms`) and shows it. */
export async function refreshUnread() {
  if (!session()) {
    unread = 0;
    showUnread();
    return 0;
  }
  try {
    const rooms = await rpc("chat_rooms", [token()]);
    unread = rooms.reduce((sum, room) => sum + Number(room.unread || 0), 0);
  } catch {
    // Kept as it was; the next message or reconnect reads it again.
  }
  showUnread();
  return unread;
}

/** Reads the unread count soon (many messages at once make one read). */
function refreshSoon() {
  clearTimeout(unreadTimer);
  unreadTimer = setTimeout(() => refreshUnread(), 150);
}

function send(method, params) {
  const id = nextId++;
  socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function onMessage(event) {
  let body;
  try {
    body = JSON.parse(event.data);
  } catch {
    return;
  }
  if (body.id !== undefined && pending.has(body.id)) {
    const { resolve, reject } = pending.get(body.id);
    pending.delete(body.id);
    if (body.error) reject(body.error);
    else resolve(body.result);
    return;
  }
  if (body.method === "chat_inbox" && body.params && body.params.subscription === subscriptionId) {
    const message = body.params.result;
    inbox.dispatchEvent(new CustomEvent("message", { detail: message }));
    if (session() && message.sender !== session().account) refreshSoon();
  }
}

function close() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (socket) {
    const old = socket;
    socket = null;
    old.onclose = null;
    old.close();
  }
  subscriptionId = null;
  socketToken = null;
  for (const { reject } of pending.values()) reject(new Error("closed"));
  pending.clear();
}

function open(current) {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
  const ws = new WebSocket(url);
  socket = ws;
  socketToken = current;
  ws.onmessage = onMessage;
  ws.onopen = async () => {
    try {
      subscriptionId = await send("chat_subscribeInbox", [current]);
      retryMs = 500;
      document.documentElement.dataset.chatLive = "on";
      refreshUnread();
    } catch (error) {
      // A session that ended (3014) is not retried; the page asks for a login.
      if (error && error.code === 3014) close();
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    subscriptionId = null;
    document.documentElement.dataset.chatLive = "off";
    retryTimer = setTimeout(() => connect(), retryMs);
    retryMs = Math.min(retryMs * 2, 15_000);
  };
}

/**
 * Keeps the tab's inbox subscription for the logged-in member (a new one after a login,
 * none after a logout). Safe to call on every render.
 */
export function connect() {
  const current = token();
  if (!current) {
    if (socket || retryTimer) close();
    unread = 0;
    return;
  }
  if (socket && socketToken === current) return;
  close();
  if (typeof WebSocket === "undefined") return;
  open(current);
}

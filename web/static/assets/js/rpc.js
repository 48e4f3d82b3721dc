// JSON-RPC 2.0 over HTTP to the node that served the page (`POST /`).

export class RpcError extends Error {
  constructor(code, message, data, method) {
    super(message);
    this.code = code;
    this.data = data;
    this.method = method;
  }
}

/** A transport failure (the node is unreachable), not a JSON-RPC error. */
export class NetworkError extends Error {}

let nextId = 1;

export async function rpc(method, params = []) {
  let response;
  try {
    response = await fetch("/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
    });
  } catch (error) {
    throw new NetworkError(error.message);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new NetworkError(`HTTP ${response.status}`);
  }
  if (body.error) throw new RpcError(body.error.code, body.error.message, body.error.data, method);
  return body.result;
}

/** Whether an error says the node has no such method (an older or differently built node). */
export function isMissingMethod(error) {
  return error instanceof RpcError && error.code === -32601;
}

/* The server's JSON API (/api/*), as the offline app uses it. Every call goes to the network
   (cache: "no-store"), never follows a redirect (a sign-in page is not an answer) and has a
   time limit: Wi-Fi that hangs is treated like none. */

import { b64bytes } from "./crypto.js";

export const REQUEST_TIMEOUT_MS = 20000;
export const SYNC_TIMEOUT_MS = 90000;

/** No answer: no network, the server unreachable, a redirect, or the time limit passed. */
export class NetworkError extends Error {
  constructor() {
    super("network");
    this.name = "NetworkError";
  }
}

/** {status, ok, json()}; the body is read within the same time limit (headers that arrive
    and a body that never does must not hold the sync forever). */
export async function api(path, options = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeout || REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(path, {
      method: options.method || "GET",
      headers: { Accept: "application/json", ...(options.headers || {}) },
      body: options.body,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      signal: controller.signal,
    });
    const text = await response.text();
    return { status: response.status, ok: response.ok, json: async () => JSON.parse(text) };
  } catch {
    throw new NetworkError();
  } finally {
    clearTimeout(timer);
  }
}

/** Who is signed in online, with a fresh CSRF token; null when nobody is. */
export async function fetchSession() {
  const response = await api("/api/session");
  if (response.status === 401) return null;
  if (!response.ok) throw new NetworkError();
  return response.json();
}

/** The signed-in user's data key (bytes), refused unless it is `userId`'s: a key is never
    wrapped or used for anyone but its owner. */
export async function fetchServerKey(userId) {
  const response = await api("/api/device-key");
  if (!response.ok) throw new NetworkError();
  const data = await response.json();
  if (data.user_id !== userId) throw new Error("key of another user");
  return b64bytes(data.key);
}

/** One batch to /api/sync for `userId` (the server refuses it, 409, for another session). */
export function postSync(userId, wireItems, csrfToken) {
  return api("/api/sync", {
    method: "POST",
    body: JSON.stringify({ user_id: userId, items: wireItems }),
    timeout: SYNC_TIMEOUT_MS,
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
  });
}

/** The open conflicts the server lists for the signed-in user; null on an error answer. */
export async function fetchConflicts() {
  const response = await api("/api/conflicts");
  if (!response.ok) return null;
  return (await response.json()).conflicts || [];
}

/** The offline pack, narrowed to `groups` (ids) when any are given. */
export function fetchPack(groups) {
  const query = groups.map((id) => "group=" + id).join("&");
  return api("/api/offline-pack" + (query ? "?" + query : ""));
}

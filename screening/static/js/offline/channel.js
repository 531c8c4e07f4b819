/* Other tabs of this browser: a BroadcastChannel ("trivselsspor") on which tabs say that a
   user's data changed, and on which signing out anywhere on the site says "lock". */

import { S } from "./state.js";

export const channel = "BroadcastChannel" in window ? new BroadcastChannel("trivselsspor") : null;

/** Tells the other tabs that the unlocked user's outbox or state changed. */
export function announceChange() {
  if (channel && S.user) channel.postMessage({ type: "changed", userId: S.user.id });
}

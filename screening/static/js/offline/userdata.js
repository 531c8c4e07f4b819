/* Loading the unlocked user's data from the device into the page: pack, bookkeeping and
   outbox. An expired pack is deleted on the way (it holds personal data); unsent items are
   kept and still sync. The user is told, until a new pack is fetched (the bookkeeping keeps
   when it expired: views.js explains it and offers a new pack). */

import { packExpired } from "./outbox.js";
import { isCurrent, S } from "./state.js";
import { deletePack, readItems, readPack, readState, writeState } from "./store.js";

export async function loadUserData() {
  const owner = S.owner;
  const userId = owner.user.id;
  const [pack, local, read] = await Promise.all([readPack(owner), readState(owner, { lenient: true }), readItems(owner)]);
  owner.unreadable = read.unreadable;
  if (!isCurrent(owner)) return;
  S.pack = pack;
  S.local = local;
  S.items = read.items;
  if (S.pack && packExpired(S.pack) && !S.editing) {
    const expiredAt = S.pack.expires_at;
    S.pack = null;
    await deletePack(userId);
    if (!isCurrent(owner)) return;
    S.local = { ...S.local, packExpiredAt: expiredAt };
    await writeState(owner, S.local).catch(() => {}); // told again after the next unlock
  }
}

/* Loading the unlocked user's data from the device into the page: pack, bookkeeping and
   outbox. An expired pack is deleted on the way (it holds personal data); unsent items are
   kept and still sync. */

import { t } from "./dom.js";
import { packExpired } from "./outbox.js";
import { isCurrent, S } from "./state.js";
import { deletePack, readItems, readPack, readState } from "./store.js";

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
    S.pack = null;
    S.message = t("pack_expired");
    await deletePack(userId);
  }
}

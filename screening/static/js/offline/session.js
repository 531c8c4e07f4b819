/* Unlocking and locking, the PIN, the offline pack and the export: what the user does with
   their own data on this device.

   Two ways to unlock: signed in online, the server's copy of the key unlocks with no PIN
   (which is also why a forgotten PIN loses nothing); offline, the PIN unwraps the key kept
   on the device. Unlocked, the key lives in this page's memory only. */

import { fetchPack, fetchServerKey, fetchSession, NetworkError } from "./api.js";
import { importDataKey, unwrapKey, wrapKey } from "./crypto.js";
import { $, flash, h, t } from "./dom.js";
import { storageErrorKey } from "./errors.js";
import { queueAssessment, readAssessment } from "./forms.js";
import { exportBody } from "./outbox.js";
import { isCurrent, S, Stopped } from "./state.js";
import { deleteItems, keyRow, putKeyRow, writePack, writeState } from "./store.js";
import { needsTry, noteUnreachable, syncNow } from "./sync.js";
import { localDate, plural } from "./text.js";
import { loadUserData } from "./userdata.js";
import { chosenPackGroups, clearPage, render, show, showLock } from "./views.js";

export async function unlocked(user, key) {
  const owner = { user, key };
  S.owner = owner;
  S.paused = null;
  await loadUserData();
  if (!isCurrent(owner)) return;
  show("home");
  render();
  if (navigator.storage && navigator.storage.persisted) {
    navigator.storage.persisted().then((yes) => { S.persisted = yes; render(); });
  }
  // Also with open conflicts only (the sync learns which of them were settled meanwhile),
  // and after a failed try at start (it shows whether the server is back).
  if (needsTry() || S.local.conflicts.length) syncNow();
}

export function lock(message) {
  S.owner = null;
  S.session = null;
  S.pack = null;
  S.local = null;
  S.items = [];
  S.editing = null;
  S.pendingKey = null;
  // Nothing of the user's stays in the page.
  clearPage();
  return showLock(message || t("locked"));
}

/** Locks; an assessment form open with changes is first kept on the device, as a draft, or
    as finished if it was opened from a finished item (a finished assessment never becomes a
    draft); not while a save of it is under way. */
export async function lockKeepingForm(message) {
  if (S.editing && S.editing.roundId && !$("view-assess").hidden && !S.saving) {
    const now = readAssessment();
    if (JSON.stringify(now) !== S.editing.opened) {
      now.submit = !!S.editing.submit;
      await queueAssessment(now).catch(() => {});
    }
  }
  return lock(message);
}

/** At start: signed in online, the server's key unlocks (or a PIN is chosen the first time
    on this device); otherwise the lock screen. */
export async function boot() {
  try {
    const session = await fetchSession();
    S.outcome = "ok";
    S.session = session;
    if (!session) return showLock("");
    const row = await keyRow(session.user.id);
    const raw = await fetchServerKey(session.user.id);
    if (!row) {
      // First time on this device: choose a PIN that wraps the key.
      S.pendingKey = raw;
      S.pendingUser = session.user;
      show("setpin");
      return;
    }
    return unlocked(session.user, await importDataKey(raw));
  } catch (error) {
    if (error instanceof NetworkError) noteUnreachable();
    S.session = null;
    return showLock(error instanceof NetworkError ? "" : String(error));
  }
}

export async function unlockWithPin(event) {
  event.preventDefault();
  const chosen = document.querySelector('#user-choice input[name="user"]:checked');
  const pin = $("unlock-pin").value;
  const error = $("unlock-error");
  error.hidden = true;
  if (!chosen) return;
  const wait = Math.ceil((S.pinBlockedUntil - Date.now()) / 1000);
  if (wait > 0) {
    error.textContent = plural(t, "too_many_pins", wait);
    error.hidden = false;
    return;
  }
  let key, row;
  try {
    row = await keyRow(parseInt(chosen.value, 10));
    if (!row) throw new Error("no key");
    key = await unwrapKey(row, pin);
  } catch {
    S.failedPins += 1;
    if (S.failedPins >= 5) S.pinBlockedUntil = Date.now() + 1000 * Math.min(300, 15 * Math.pow(2, S.failedPins - 5));
    error.textContent = t("wrong_pin");
    error.hidden = false;
    $("unlock-pin").select();
    return;
  }
  S.failedPins = 0;
  $("unlock-pin").value = "";
  flash("");
  return unlocked({ id: row.userId, name: row.name }, key);
}

export async function choosePin(event) {
  event.preventDefault();
  const pin = $("new-pin").value;
  const again = $("new-pin-repeat").value;
  const error = $("setpin-error");
  if (pin.length < 6) { error.textContent = t("pin_too_short"); error.hidden = false; return; }
  if (pin !== again) { error.textContent = t("pin_mismatch"); error.hidden = false; return; }
  error.hidden = true;
  const user = S.pendingUser || S.user;
  let key;
  try {
    const raw = S.pendingKey || (await fetchServerKey(user.id));
    await putKeyRow(user, await wrapKey(raw, pin, user.id));
    key = await importDataKey(raw);
  } catch {
    error.textContent = t("pack_failed");
    error.hidden = false;
    return;
  }
  S.pendingKey = null;
  S.pendingUser = null;
  $("new-pin").value = "";
  $("new-pin-repeat").value = "";
  flash(t("pin_saved"));
  return unlocked(user, key);
}

/** A new PIN wraps the server's copy of the key: only while this very user is signed in. */
export async function changePin() {
  const owner = S.owner;
  let session;
  try {
    session = await fetchSession();
  } catch {
    flash(t("pack_failed"));
    return;
  }
  if (!isCurrent(owner)) return;
  if (!session || session.user.id !== owner.user.id) {
    flash(t("paused_other_user", { name: owner.user.name }));
    return;
  }
  S.pendingUser = owner.user;
  S.pendingKey = null;
  show("setpin");
}

// An error with the text the user is shown.
const told = (text) => Object.assign(new Error("refused"), { userMessage: text });

export async function downloadPack() {
  const owner = S.owner;
  const button = $("download-pack");
  button.disabled = true;
  const groups = chosenPackGroups();
  S.local.packGroups = groups;
  try {
    const response = await fetchPack(groups);
    if (response.status === 401) { S.paused = "signin"; throw told(t("paused_signin")); }
    if (!response.ok) throw told(t("pack_failed"));
    const pack = await response.json();
    if (pack.user.id !== owner.user.id) throw told(t("paused_other_user", { name: owner.user.name }));
    await writePack(owner, pack);
    if (!isCurrent(owner)) throw new Stopped();
    S.pack = pack;
    S.local.packExpiredAt = null;
    S.local.stale = {}; // the new pack has the server's current version of everything
    flash(plural(t, "pack_loaded", S.pack.children.length));
    writeState(owner, S.local).catch(() => {});
    if (navigator.storage && navigator.storage.persist) S.persisted = await navigator.storage.persist();
  } catch (error) {
    if (!(error instanceof Stopped)) {
      // The app's own words: a refusal it explains, or what a storage error means.
      flash(error instanceof NetworkError ? t("pack_failed") : error.userMessage || t(storageErrorKey(error)));
    }
  }
  button.disabled = false;
  render();
}

/** All of the user's unsent items to a file, unencrypted, after a warning (last resort). */
export function exportItems() {
  if (!S.items.length) return;
  if (!window.confirm(t("export_warning"))) return;
  const data = exportBody(S.user, S.items, new Date().toISOString());
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob), download: "trivselsspor-ikke-sendte-" + localDate() + ".json" });
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

/** An item the server refused, thrown away after a confirmation. */
export async function discardItem(id) {
  if (!window.confirm(t("discard_confirm"))) return;
  S.itemsRevision += 1;
  await deleteItems([id]);
  S.items = S.items.filter((i) => i.id !== id);
  render();
}

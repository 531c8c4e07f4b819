/* Drawing the app: which view shows, the sync bar, the outbox, the conflicts and the
   children. Buttons carry data attributes (data-assess, data-observe, data-edit,
   data-discard); main.js handles their clicks. */

import { $, flash, formatTime, h, LANG, t } from "./dom.js";
import {
  assessmentState,
  invalidItems,
  pendingItems,
  waitingCount,
} from "./outbox.js";
import { S } from "./state.js";
import { STATUS_TEXT as SYNC_TEXT, syncStatus } from "./status.js";
import { clockFormatter } from "./text.js";
import { knownUsers } from "./store.js";
import { plural } from "./text.js";

const STATUS_TEXT = {
  invalid: "status_invalid",
  final: "status_local_final",
  draft: "status_local_draft",
  conflict: "status_conflict",
  submitted: "status_submitted",
  "server-draft": "status_server_draft",
  stale: "status_stale",
};

const clock = clockFormatter(LANG);

// At most this many waiting items are listed (the count in the sync bar says how many wait).
const OUTBOX_SHOWN = 30;

export function show(name) {
  for (const el of document.querySelectorAll("[data-view]")) {
    const here = el.id === "view-" + name;
    if (el.id === "view-home") {
      // Parked rather than removed while a form is open: the browser keeps its layout, so
      // coming back to a list of hundreds of children costs nothing.
      el.hidden = !here && !S.key;
      el.classList.toggle("view-parked", !here);
    } else {
      el.hidden = !here;
    }
  }
  const unlockedNow = !!S.key;
  $("sync-bar").hidden = !unlockedNow;
  $("account-tools").hidden = !unlockedNow;
  $("account-name").textContent = unlockedNow ? S.user.name : "";
  drawMenu();
  // In the next frame, after the caller has drawn the view: scrolling now would force a
  // layout of the whole page twice.
  requestAnimationFrame(() => window.scrollTo(0, 0));
}

/** The main menu of the user signed in online (from /api/session; the page itself is the
    same for everyone). Hidden while nobody is signed in online. */
let drawnMenu = null;
export function drawMenu() {
  const menu = (S.session && S.session.menu) || [];
  $("main-menu").hidden = menu.length === 0;
  const key = JSON.stringify(menu);
  if (key === drawnMenu) return;
  drawnMenu = key;
  const list = $("main-menu-list");
  list.textContent = "";
  for (const item of menu) {
    const here = item.endpoint === "offline.app_page" ? "page" : null;
    list.appendChild(h("li", {}, h("a", { href: item.href, "aria-current": here, text: item.label })));
  }
}

export async function showLock(message) {
  flash(message);
  const users = await knownUsers();
  const box = $("user-choice");
  box.textContent = "";
  box.appendChild(h("legend", { text: t("choose_user") }));
  $("lock-empty").hidden = users.length > 0;
  $("lock-empty").textContent = t("no_users");
  $("unlock-form").hidden = users.length === 0;
  users.forEach((u, i) => {
    const id = "user-" + u.userId;
    box.appendChild(
      h("div", { class: "choice" },
        h("input", { type: "radio", name: "user", id, value: String(u.userId), checked: i === 0 }),
        h("label", { for: id, text: u.name }))
    );
  });
  show("lock");
}

/** Empties every part of the page that showed the user's data (on locking). */
export function clearPage() {
  for (const id of ["assess-areas", "child-list", "outbox-list", "conflict-list", "pack-group-list"]) $(id).textContent = "";
  for (const id of ["assess-title", "assess-facts", "observe-title", "pack-info"]) $(id).textContent = "";
  $("assess-form").reset();
  $("observe-form").reset();
}

// Children and rounds, looked up by id, made once per pack.
let indexedPack = null;
let childIndex = new Map();
let roundIndex = new Map();

function indexPack() {
  if (indexedPack === S.pack) return;
  childIndex = new Map();
  roundIndex = new Map();
  for (const c of (S.pack && S.pack.children) || []) childIndex.set(c.id, c);
  for (const round of (S.pack && S.pack.rounds) || []) {
    for (const entry of round.children) {
      if (!roundIndex.has(entry.child_id)) roundIndex.set(entry.child_id, []);
      roundIndex.get(entry.child_id).push({ round, entry });
    }
  }
  indexedPack = S.pack;
}

export function childById(id) {
  indexPack();
  return childIndex.get(id);
}

function roundsFor(childId) {
  indexPack();
  return roundIndex.get(childId) || [];
}

export function render() {
  if (!S.key) return;
  renderSyncBar();
  const pack = S.pack;
  $("pack-info").textContent = pack
    ? t("pack_info", { when: formatTime(pack.generated_at), expires: formatTime(pack.expires_at) })
    : t("pack_none");
  renderPackExpired();
  $("storage-info").textContent = S.persisted === undefined ? "" : S.persisted ? t("storage_persisted") : t("storage_not_persisted");
  $("change-pin").hidden = !(S.session && S.session.user.id === S.user.id);
  renderPackGroups();
  renderOutbox();
  renderConflicts();
  renderChildren();
}

/** An expired pack was deleted: why, that nothing waiting is lost, and a new pack offered. */
function renderPackExpired() {
  const expiredAt = !S.pack && S.local.packExpiredAt;
  $("pack-expired").hidden = !expiredAt;
  if (!expiredAt) return;
  const parts = [t("pack_expired", { when: formatTime(expiredAt) })];
  if (waitingCount(S.items)) parts.push(t("pack_expired_waiting"));
  parts.push(t("pack_expired_fetch"));
  $("pack-expired-text").textContent = parts.join(" ");
}

export function renderSyncBar() {
  const n = waitingCount(S.items);
  const status = syncStatus({
    browserOnline: navigator.onLine, syncing: S.syncing, outcome: S.outcome, paused: S.paused,
    pending: pendingItems(S.items).length, lastTry: S.lastTry, nextTry: S.nextTry,
  });
  const net = $("net-state");
  net.dataset.status = status.kind;
  // "All sent" only when nothing needs the user either (refused items wait for a fix).
  net.textContent = status.kind === "sent" && n > 0 ? t("online") : t(SYNC_TEXT[status.kind]);
  $("sync-tries").textContent = status.kind === "unreachable" || status.kind === "server_error"
    ? (status.nextTry ? t("tries_last_next", { last: clock(status.lastTry), next: clock(status.nextTry) }) : t("tries_last", { last: clock(status.lastTry) }))
    : "";
  const count = $("queue-count");
  count.dataset.count = String(n);
  count.textContent = n === 0 ? t("waiting_none") : plural(t, "waiting", n);
  $("last-sync").textContent = S.local.lastSync ? t("last_sync", { when: formatTime(S.local.lastSync) }) : t("never_synced");
  $("sync-message").textContent = S.syncing ? t("sending") : S.message;
  const invalid = invalidItems(S.items).length;
  let error = S.error || (invalid ? plural(t, "invalid_some", invalid) : "");
  if (S.owner && S.owner.unreadable) error = (error ? error + " " : "") + plural(t, "unreadable", S.owner.unreadable);
  $("sync-error").textContent = error;
  $("sync-error").hidden = !error;
  // Not while a form is open: following the link would leave what was typed.
  $("sync-signin").hidden = S.paused !== "signin" || !!S.editing;
  $("sync-now").disabled = S.syncing;
}

export function itemTitle(item) {
  const child = item.body.child || "";
  return (item.kind === "assessment" ? t("kind_assessment") : t("kind_observation")) + ": " + child +
    (item.kind === "assessment" && item.body.round ? " (" + item.body.round + ")" : "");
}

function renderOutbox() {
  const list = $("outbox-list");
  list.textContent = "";
  // Every item that needs the user (invalid), then the newest waiting ones.
  const invalid = S.items.filter((i) => i.state !== "pending");
  const pending = pendingItems(S.items);
  const shown = invalid.concat(pending.slice(Math.max(0, pending.length - OUTBOX_SHOWN)).reverse());
  for (const item of shown) {
    const li = h("li", { class: "outbox-item outbox-" + item.state, "data-item": item.id },
      h("strong", { text: itemTitle(item) }), " ",
      h("span", { class: "field-hint", text: t("saved_at", { when: formatTime(item.updatedAt) }) }));
    if (item.state === "invalid") {
      li.appendChild(h("p", { class: "field-error", text: t("reason", { reason: item.body.reason || "" }) }));
      const row = h("div", { class: "button-row" });
      if (S.pack) row.appendChild(h("button", { type: "button", class: "button button-secondary", text: t("edit"), "data-edit": item.id }));
      row.appendChild(h("button", { type: "button", class: "button button-danger", text: t("discard"), "data-discard": item.id }));
      li.appendChild(row);
    }
    list.appendChild(li);
  }
  const hiddenCount = pending.length - Math.min(pending.length, OUTBOX_SHOWN);
  if (hiddenCount > 0) list.appendChild(h("li", { class: "field-hint", text: t("and_more", { n: hiddenCount }) }));
  $("outbox").hidden = S.items.length === 0;
}

function renderConflicts() {
  const list = $("conflict-list");
  list.textContent = "";
  for (const c of S.local.conflicts) {
    list.appendChild(h("li", {}, h("a", { href: "/sync/conflicts/" + c.id, text: t("conflict_link") + ": " + c.label })));
  }
  $("conflicts").hidden = S.local.conflicts.length === 0;
}

function childCard(child) {
  const card = h("li", { class: "child-card", "data-child": String(child.id) },
    h("h3", { text: child.first_name + " " + child.last_name }),
    h("p", { class: "field-hint", text: child.group }));
  for (const { round, entry } of roundsFor(child.id)) {
    const state = assessmentState(S.items, S.local, round.id, entry, S.pack);
    const row = h("p", { class: "child-round" },
      h("button", {
        type: "button", class: "button", "data-assess": round.id + ":" + child.id,
        text: t("assess") + " – " + round.name, disabled: state === "submitted",
      }), " ");
    if (state) row.appendChild(h("span", { class: "badge badge-" + state, text: t(STATUS_TEXT[state]) }));
    card.appendChild(row);
  }
  if (S.pack.observation_sources && S.pack.observation_sources.length) {
    card.appendChild(h("p", {}, h("button", {
      type: "button", class: "button button-secondary", "data-observe": String(child.id), text: t("observe"),
    })));
  }
  return card;
}

export function renderChildren() {
  const list = $("child-list");
  list.textContent = "";
  const children = (S.pack && S.pack.children) || [];
  const groups = [];
  for (const c of children) if (!groups.includes(c.group)) groups.push(c.group);
  const select = $("group-filter");
  const chosen = select.value;
  select.textContent = "";
  select.appendChild(h("option", { value: "", text: t("all_groups") }));
  for (const g of groups) select.appendChild(h("option", { value: g, text: g, selected: g === chosen }));
  $("group-filter-field").hidden = groups.length < 2;
  if (!children.length && S.pack) list.appendChild(h("li", { text: t("no_children") }));
  const cards = document.createDocumentFragment();
  for (const child of children) if (!chosen || child.group === chosen) cards.appendChild(childCard(child));
  list.appendChild(cards);
}

/** After a save only one child's card changes: redraw that one, not the whole list. */
export function renderAfterSave(childId) {
  renderSyncBar();
  renderOutbox();
  renderConflicts();
  const old = document.querySelector('#child-list [data-child="' + childId + '"]');
  const child = childById(childId);
  if (old && child) old.replaceWith(childCard(child));
  else renderChildren();
}

/** The groups the user may narrow the pack to (online only); the last choice is kept. */
export function renderPackGroups() {
  const groups = (S.session && S.session.user.id === S.user.id && S.session.groups) || [];
  const box = $("pack-group-list");
  const shown = box.querySelectorAll("input");
  const chosen = shown.length
    ? Array.from(shown).filter((el) => el.checked).map((el) => parseInt(el.value, 10))
    : S.local.packGroups || [];
  box.textContent = "";
  for (const g of groups) {
    const id = "pack-group-" + g.id;
    box.appendChild(h("div", { class: "choice" },
      h("input", { type: "checkbox", id, value: String(g.id), checked: chosen.includes(g.id) }),
      h("label", { for: id, text: g.name + " (" + g.institution + ")" })));
  }
  $("pack-groups").hidden = groups.length < 2;
}

/** The groups chosen for the next pack download. */
export function chosenPackGroups() {
  return Array.from(document.querySelectorAll("#pack-group-list input:checked"), (el) => parseInt(el.value, 10));
}

/* Trivselsspor's offline forms (Offline-formularer): the entry point. It wires the page's
   buttons and forms to the modules, watches the network, other tabs and inactivity, and
   starts the app. See docs/OFFLINE.md for the design and its threat model.

   What the modules do:
   - text.js, crypto.js, outbox.js: pure logic (words and dates, encryption, the outbox and
     what the server holds), unit-tested under Node (tests/js/);
   - store.js: IndexedDB, every record sealed under its owner's key;
   - api.js: the server's JSON API; sync.js: sending the outbox and taking the answers;
   - session.js: unlocking, locking, the PIN, the pack, the export; userdata.js: loading a
     user's data; forms.js: the assessment and observation forms; views.js: drawing;
     dom.js: the page's strings and DOM helpers; channel.js: the other tabs. */

import { channel } from "./channel.js";
import { $, flash, root, t } from "./dom.js";
import { fillCategories, openAssessment, openObservation, queueAssessment, saveAssessment, saveObservation } from "./forms.js";
import { packExpired, pendingItems } from "./outbox.js";
import { S } from "./state.js";
import { closeDatabase } from "./store.js";
import { boot, changePin, choosePin, discardItem, downloadPack, exportItems, lockKeepingForm, unlockWithPin } from "./session.js";
import { syncNow, syncSoon } from "./sync.js";
import { loadUserData } from "./userdata.js";
import { render, renderChildren, renderSyncBar, show } from "./views.js";

function start() {
  $("unlock-form").addEventListener("submit", unlockWithPin);
  $("setpin-form").addEventListener("submit", choosePin);
  $("assess-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveAssessment(!!event.submitter && event.submitter.value === "final");
  });
  $("observe-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveObservation();
  });
  $("o-source").addEventListener("change", fillCategories);
  $("group-filter").addEventListener("change", renderChildren);
  for (const button of document.querySelectorAll("[data-back]")) {
    button.addEventListener("click", () => { S.editing = null; show("home"); render(); });
  }
  $("lock-button").addEventListener("click", () => lockKeepingForm());
  $("download-pack").addEventListener("click", downloadPack);
  $("fetch-new-pack").addEventListener("click", downloadPack);
  $("sync-now").addEventListener("click", () => syncNow());
  $("export-button").addEventListener("click", exportItems);
  $("change-pin").addEventListener("click", changePin);

  // The children's cards and the outbox list are redrawn often: one listener each.
  $("child-list").addEventListener("click", (event) => {
    const assess = event.target.closest("[data-assess]");
    if (assess) {
      const [roundId, childId] = assess.dataset.assess.split(":").map(Number);
      openAssessment(roundId, childId);
      return;
    }
    const observe = event.target.closest("[data-observe]");
    if (observe) openObservation(Number(observe.dataset.observe));
  });
  $("outbox-list").addEventListener("click", (event) => {
    const button = event.target.closest("[data-edit], [data-discard]");
    const item = button && S.items.find((i) => i.id === (button.dataset.edit || button.dataset.discard));
    if (!item) return;
    if (button.dataset.discard) {
      discardItem(item.id);
      return;
    }
    const p = item.body.payload;
    if (item.kind === "assessment") openAssessment(p.round_id, p.child_id);
    else openObservation(p.child_id, item);
  });

  if (channel) {
    channel.onmessage = (event) => {
      const msg = event.data || {};
      if (msg.type === "lock" && S.key) lockKeepingForm();
      if (msg.type === "changed" && S.key && msg.userId === S.user.id) {
        // The open form is not touched by a reload; its next save sees the other tab's change.
        if (S.syncing) S.reloadAfterSync = true;
        else loadUserData().then(render, () => {});
      }
    };
  }

  // Locks itself after a while without use, like the signed-in pages; and drops an expired
  // pack while open.
  const idleSeconds = parseInt(root.dataset.idleSeconds || "1800", 10);
  let lastActivity = Date.now();
  for (const name of ["pointerdown", "keydown", "input"]) {
    document.addEventListener(name, () => { lastActivity = Date.now(); }, { passive: true });
  }
  setInterval(() => {
    if (!S.key) return;
    if (Date.now() - lastActivity > idleSeconds * 1000) {
      // Safe during a sync: it stops at its next step (it belongs to its owner).
      lockKeepingForm(t("idle_locked"));
    } else if (packExpired(S.pack) && !S.editing && !S.syncing) {
      loadUserData().then(render);
    }
  }, Math.min(30, Math.max(1, idleSeconds / 4)) * 1000);

  // Whatever waits is tried at once when the network returns and when the app comes into
  // view (a tablet picked up again); else on the retry schedule (sync.js).
  window.addEventListener("online", () => {
    // A failure seen while the browser had no connection says nothing about the server now.
    if (S.outcome === "unreachable" && !pendingItems(S.items).length) S.outcome = null;
    if (S.key) { renderSyncBar(); syncSoon(); }
  });
  window.addEventListener("offline", () => { if (S.key) renderSyncBar(); });
  window.addEventListener("focus", () => syncSoon());
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") syncSoon(); });
  if ("serviceWorker" in navigator) {
    let hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (hadController) flash(t("new_version"));
      hadController = true;
    });
  }

  // For tests and the benchmark (config OFFLINE_TEST_HOOKS; off in production): the app's
  // state and actions.
  if ("testHooks" in root.dataset) {
    window.trivselsspor = {
      state: S,
      syncNow,
      // The storage path of a save (seal and IndexedDB), without redrawing the page.
      queueAssessment,
      render,
      // Closes the database connection under the app, as a browser may do at any time.
      closeDatabase,
    };
  }

  boot();
}

if (root && window.crypto && window.crypto.subtle) start();

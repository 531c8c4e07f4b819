/* Trivselsspor's offline forms (Offline-formularer).

   What it does, in order of importance:
   - Everything a user saves offline is kept in IndexedDB, encrypted with AES-GCM under the
     user's data key, and deleted only after the server has confirmed it.
   - The data key comes from the server (/api/device-key) and lies on the device only
     wrapped by a key derived from the user's PIN (PBKDF2-SHA-256). Unlocked, it lives in
     this page's memory only: locking, signing out or closing the page forgets it.
   - Each user's items are separate (keyed and encrypted per user); nothing here ever
     deletes another user's items.
   - Sync: every item has an id made here and the server version it started from; batches
     go to /api/sync with the CSRF token read just before sending, in a header. The server
     answers per item (stored, already_stored, conflict, invalid).
   See docs/OFFLINE.md for the design and its threat model. */
(function () {
  "use strict";

  var root = document.querySelector("[data-offline-app]");
  if (!root || !window.idb || !window.crypto || !window.crypto.subtle) return;

  var T = JSON.parse(root.dataset.strings);
  var LANG = document.documentElement.lang === "en" ? "en" : "da";
  var DB_NAME = "trivselsspor-offline";
  var DB_VERSION = 1;
  var PBKDF2_ITERATIONS = 600000;
  var BATCH_SIZE = 100;
  var RETRY_MS = 30000;
  var REQUEST_TIMEOUT_MS = 20000;
  var SYNC_TIMEOUT_MS = 90000;
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  function t(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function $(id) {
    return document.getElementById(id);
  }

  // A small element builder: h("li", {class: "x"}, "text", child, ...).
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") el.textContent = value;
      else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
      else if (value === true) el.setAttribute(name, "");
      else el.setAttribute(name, value);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  function label(pair) {
    if (!pair) return "";
    return pair[LANG] || pair.da || "";
  }

  var timeFormat = new Intl.DateTimeFormat(LANG === "en" ? "en-GB" : "da-DK", {
    dateStyle: "short",
    timeStyle: "short",
  });

  function formatTime(iso) {
    return iso ? timeFormat.format(new Date(iso)) : "";
  }

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // Storage ---------------------------------------------------------------------------------
  // Stores: keys (a user's wrapped data key), packs, state (bases, conflicts, last sync) and
  // items (the outbox). Only ids, kinds, states and times are in clear; all content is sealed.

  var dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = idb.openDB(DB_NAME, DB_VERSION, {
        upgrade: function (db, oldVersion) {
          if (oldVersion < 1) {
            db.createObjectStore("keys", { keyPath: "userId" });
            db.createObjectStore("packs", { keyPath: "userId" });
            db.createObjectStore("state", { keyPath: "userId" });
            db.createObjectStore("items", { keyPath: "id" }).createIndex("userId", "userId");
          }
          // A later version adds stores or indexes here; it never deletes a store with items.
        },
        blocking: function (current, blocked, event) {
          // A newer version of the app wants to upgrade the database: let it.
          event.target.close();
          dbPromise = null;
        },
        terminated: function () {
          // The browser closed the connection (e.g. iOS under memory pressure): reopen.
          dbPromise = null;
        },
      });
      dbPromise.catch(function () { dbPromise = null; });
    }
    return dbPromise;
  }

  function withDb(fn) {
    return openDb()
      .then(fn)
      .catch(function (error) {
        if (error && (error.name === "InvalidStateError" || error.name === "TransactionInactiveError")) {
          dbPromise = null;
          return openDb().then(fn);
        }
        throw error;
      });
  }

  // Crypto ----------------------------------------------------------------------------------

  function importDataKey(raw) {
    return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  }

  function pinKey(pin, salt, iterations) {
    return crypto.subtle
      .importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveKey"])
      .then(function (base) {
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"]
        );
      });
  }

  // The record's place (user, store, id) is bound in as associated data: a sealed record
  // copied to another user or item does not open.
  function seal(key, where, value) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return crypto.subtle
      .encrypt({ name: "AES-GCM", iv: iv, additionalData: encoder.encode(where) }, key, encoder.encode(JSON.stringify(value)))
      .then(function (ct) { return { iv: iv, ct: ct }; });
  }

  function unseal(key, where, box) {
    return crypto.subtle
      .decrypt({ name: "AES-GCM", iv: box.iv, additionalData: encoder.encode(where) }, key, box.ct)
      .then(function (pt) { return JSON.parse(decoder.decode(pt)); });
  }

  function b64bytes(text) {
    return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); });
  }

  // Server ----------------------------------------------------------------------------------

  function NetworkError() { this.name = "NetworkError"; }

  // Wi-Fi that hangs is treated like none: a request that takes too long is given up (the
  // items stay and are sent again).
  function api(path, options) {
    options = options || {};
    var headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    var controller = "AbortController" in window ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, options.timeout || REQUEST_TIMEOUT_MS) : null;
    return fetch(path, {
      method: options.method || "GET",
      headers: headers,
      body: options.body,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      // The body is read within the same time limit: headers that arrive and a body that
      // never does must not hold the sync forever.
      return response.text().then(function (text) {
        clearTimeout(timer);
        return {
          status: response.status,
          ok: response.ok,
          json: function () { return Promise.resolve().then(function () { return JSON.parse(text); }); },
        };
      });
    }).catch(function () {
      clearTimeout(timer);
      throw new NetworkError();
    });
  }

  // Who is signed in online, with a fresh CSRF token; null when nobody is; throws
  // NetworkError with no network.
  function fetchSession() {
    return api("/api/session").then(function (response) {
      if (response.status === 401) return null;
      if (!response.ok) throw new NetworkError();
      return response.json();
    });
  }

  // State -------------------------------------------------------------------------------------

  var S = {
    owner: null, // {user: {id, name}, key: the unlocked data key (non-extractable, in memory only)}
    pack: null,
    local: null, // {bases: {"round:child": {version, itemId, submitted, payload}}, conflicts: [], lastSync, lastError}
    items: [], // decrypted outbox: {id, kind, state, createdAt, updatedAt, attempts, reason, body}
    online: navigator.onLine,
    session: null,
    syncing: false,
    paused: null, // "signin" | "other_user"
    message: "",
    error: "",
    failedPins: 0,
    pinBlockedUntil: 0,
    editing: null,
    pendingKey: null, // raw key bytes from the server while a PIN is being chosen
  };
  // The unlocked user and key, read from the owner (one place to set, one to clear).
  Object.defineProperty(S, "user", { get: function () { return S.owner ? S.owner.user : null; } });
  Object.defineProperty(S, "key", { get: function () { return S.owner ? S.owner.key : null; } });

  var channel = "BroadcastChannel" in window ? new BroadcastChannel("trivselsspor") : null;

  function emptyLocal() {
    return { bases: {}, conflicts: [], lastSync: null, lastError: null };
  }

  // Who the data belongs to: made at unlock, dropped at lock. Every write names its owner,
  // so a sync still running for one user never writes with another user's key.
  function where(owner, store, id) {
    return owner.user.id + ":" + store + ":" + id;
  }

  function isCurrent(owner) {
    return !!owner && S.owner === owner;
  }

  // The owner's outbox as stored. `known` (items already in memory) saves decrypting the
  // records that have not changed since they were read or written here.
  function readItems(owner, known) {
    var mine = {};
    (known || []).forEach(function (item) { mine[item.id] = item; });
    return withDb(function (db) {
      return db.getAllFromIndex("items", "userId", owner.user.id);
    }).then(function (rows) {
      // One record that does not open (e.g. damaged) must not hide all the others.
      return Promise.all(rows.map(function (row) {
        var same = mine[row.id];
        if (same && same.updatedAt === row.updatedAt && same.state === row.state && same.attempts === (row.attempts || 0)) {
          return same;
        }
        return unseal(owner.key, where(owner, "items", row.id), row.box).then(function (body) {
          return {
            id: row.id, kind: row.kind, state: row.state, createdAt: row.createdAt,
            updatedAt: row.updatedAt, attempts: row.attempts || 0, body: body,
          };
        }, function () { return null; });
      }));
    }).then(function (items) {
      var readable = items.filter(Boolean);
      owner.unreadable = items.length - readable.length;
      return readable.sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : 1; });
    });
  }

  function loadUserData() {
    var owner = S.owner;
    var userId = owner.user.id;
    return withDb(function (db) {
      return Promise.all([db.get("packs", userId), db.get("state", userId)]);
    }).then(function (rows) {
      var packRow = rows[0], stateRow = rows[1];
      return Promise.all([
        packRow ? unseal(owner.key, where(owner, "packs", userId), packRow.box).catch(function () { return null; }) : null,
        stateRow ? unseal(owner.key, where(owner, "state", userId), stateRow.box).catch(emptyLocal) : emptyLocal(),
        readItems(owner),
      ]);
    }).then(function (values) {
      if (!isCurrent(owner)) return;
      S.pack = values[0];
      S.local = Object.assign(emptyLocal(), values[1]);
      S.items = values[2];
      if (S.pack && new Date(S.pack.expires_at) < new Date() && !S.editing) {
        // An expired pack is deleted; unsent items are not (they still sync).
        S.pack = null;
        S.message = t("pack_expired");
        return withDb(function (db) { return db.delete("packs", userId); });
      }
    });
  }

  function saveLocal(owner, local) {
    owner = owner || S.owner;
    local = local || S.local;
    if (!owner) return Promise.resolve();
    var userId = owner.user.id;
    return seal(owner.key, where(owner, "state", userId), local).then(function (box) {
      return withDb(function (db) { return db.put("state", { userId: userId, box: box }); });
    });
  }

  function itemRecord(owner, item, box) {
    return {
      id: item.id, userId: owner.user.id, kind: item.kind, state: item.state,
      createdAt: item.createdAt, updatedAt: item.updatedAt, attempts: item.attempts, box: box,
    };
  }

  function putItem(item, owner) {
    owner = owner || S.owner;
    return seal(owner.key, where(owner, "items", item.id), item.body).then(function (box) {
      return withDb(function (db) { return db.put("items", itemRecord(owner, item, box)); });
    });
  }

  // Writes `item` and deletes the item it replaces, in one transaction.
  function replaceItem(item, oldId, owner) {
    owner = owner || S.owner;
    return seal(owner.key, where(owner, "items", item.id), item.body).then(function (box) {
      return withDb(function (db) {
        var tx = db.transaction("items", "readwrite");
        tx.store.put(itemRecord(owner, item, box));
        tx.store.delete(oldId);
        return tx.done;
      });
    });
  }

  function deleteItems(ids) {
    if (!ids.length) return Promise.resolve();
    return withDb(function (db) {
      var tx = db.transaction("items", "readwrite");
      ids.forEach(function (id) { tx.store.delete(id); });
      return tx.done;
    });
  }

  // Keys and locking ----------------------------------------------------------------------------

  function knownUsers() {
    return withDb(function (db) { return db.getAll("keys"); });
  }

  function wrapAndStore(user, raw, pin) {
    var salt = crypto.getRandomValues(new Uint8Array(16));
    return pinKey(pin, salt, PBKDF2_ITERATIONS).then(function (kek) {
      var iv = crypto.getRandomValues(new Uint8Array(12));
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: encoder.encode("key:" + user.id) }, kek, raw).then(function (wrapped) {
        return withDb(function (db) {
          return db.put("keys", {
            userId: user.id, name: user.name, salt: salt, iterations: PBKDF2_ITERATIONS,
            iv: iv, wrapped: wrapped, createdAt: new Date().toISOString(),
          });
        });
      });
    });
  }

  function unlockWithPin(userId, pin) {
    return withDb(function (db) { return db.get("keys", userId); }).then(function (row) {
      if (!row) throw new Error("no key");
      return pinKey(pin, row.salt, row.iterations).then(function (kek) {
        return crypto.subtle.decrypt({ name: "AES-GCM", iv: row.iv, additionalData: encoder.encode("key:" + userId) }, kek, row.wrapped);
      }).then(function (raw) {
        return importDataKey(raw).then(function (key) {
          return { key: key, user: { id: row.userId, name: row.name } };
        });
      });
    });
  }

  // The signed-in user's key from the server, refused unless it is `userId`'s: a key is
  // never wrapped or used for anyone but its owner.
  function fetchServerKey(userId) {
    return api("/api/device-key").then(function (response) {
      if (!response.ok) throw new NetworkError();
      return response.json();
    }).then(function (data) {
      if (data.user_id !== userId) throw new Error("key of another user");
      return b64bytes(data.key);
    });
  }

  function unlocked(user, key) {
    var owner = { user: user, key: key };
    S.owner = owner;
    S.paused = null;
    return loadUserData().then(function () {
      if (!isCurrent(owner)) return;
      show("home");
      render();
      if (navigator.storage && navigator.storage.persisted) {
        navigator.storage.persisted().then(function (yes) { S.persisted = yes; render(); });
      }
      if (pendingItems().length) syncNow();
    });
  }

  function lock(message) {
    S.owner = null;
    S.session = null;
    S.pack = null;
    S.local = null;
    S.items = [];
    S.editing = null;
    S.pendingKey = null;
    // Nothing of the user's stays in the page.
    $("assess-areas").textContent = "";
    $("child-list").textContent = "";
    $("outbox-list").textContent = "";
    $("conflict-list").textContent = "";
    $("pack-group-list").textContent = "";
    ["assess-title", "assess-facts", "observe-title", "pack-info"].forEach(function (id) { $(id).textContent = ""; });
    $("assess-form").reset();
    $("observe-form").reset();
    showLock(message || t("locked"));
  }

  // Locking with an assessment form open keeps what was typed, as a draft on the device.
  // Only a form whose content changed since it was opened is kept, with the finished/draft
  // state of what it was opened from (a finished assessment never becomes a draft), and not
  // while a save of it is under way.
  function lockKeepingForm(message) {
    var keep = Promise.resolve();
    if (S.editing && S.editing.roundId && !$("view-assess").hidden && !S.saving) {
      var now = readAssessment();
      if (JSON.stringify(now) !== S.editing.opened) {
        now.submit = !!S.editing.submit;
        keep = queueAssessment(now).catch(function () {});
      }
    }
    return keep.then(function () { lock(message); });
  }

  // Views ---------------------------------------------------------------------------------------

  function show(name) {
    document.querySelectorAll("[data-view]").forEach(function (el) {
      var here = el.id === "view-" + name;
      if (el.id === "view-home") {
        // Parked rather than removed while a form is open: the browser keeps its layout, so
        // coming back to a list of hundreds of children costs nothing.
        el.hidden = !here && !S.key;
        el.classList.toggle("view-parked", !here);
      } else {
        el.hidden = !here;
      }
    });
    var unlockedNow = !!S.key;
    $("sync-bar").hidden = !unlockedNow;
    $("account-tools").hidden = !unlockedNow;
    $("account-name").textContent = unlockedNow ? S.user.name : "";
    // In the next frame, after the caller has drawn the view: scrolling now would force a
    // layout of the whole page twice.
    requestAnimationFrame(function () { window.scrollTo(0, 0); });
  }

  function flash(text) {
    var el = $("app-message");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function showLock(message) {
    flash(message);
    return knownUsers().then(function (users) {
      var box = $("user-choice");
      box.textContent = "";
      box.appendChild(h("legend", { text: t("choose_user") }));
      $("lock-empty").hidden = users.length > 0;
      $("lock-empty").textContent = t("no_users");
      $("unlock-form").hidden = users.length === 0;
      users.forEach(function (u, i) {
        var id = "user-" + u.userId;
        box.appendChild(h("div", { class: "choice" },
          h("input", { type: "radio", name: "user", id: id, value: String(u.userId), checked: i === 0 }),
          h("label", { for: id, text: u.name })));
      });
      show("lock");
    });
  }

  var childIndex = null;
  var childIndexOf = null;

  function childById(id) {
    if (childIndexOf !== S.pack) {
      childIndex = new Map();
      ((S.pack && S.pack.children) || []).forEach(function (c) { childIndex.set(c.id, c); });
      childIndexOf = S.pack;
    }
    return childIndex.get(id);
  }

  function pendingItems() {
    return S.items.filter(function (i) { return i.state === "pending"; });
  }

  // The newest outbox item per round and child, rebuilt when the outbox changes.
  var latestIndex = null;
  var latestIndexOf = null;
  var latestIndexLength = -1;

  function latestItemFor(roundId, childId) {
    // Items are only ever pushed or filtered into a new array: identity and length tell.
    if (latestIndexOf !== S.items || latestIndexLength !== S.items.length) {
      latestIndex = new Map();
      S.items.forEach(function (it) {
        if (it.kind === "assessment") latestIndex.set(baseKey(it.body.payload.round_id, it.body.payload.child_id), it);
      });
      latestIndexLength = S.items.length;
      latestIndexOf = S.items;
    }
    return latestIndex.get(baseKey(roundId, childId)) || null;
  }

  function baseKey(roundId, childId) { return roundId + ":" + childId; }

  // The newest version of the user's assessment the device knows the server holds: from the
  // last sync answer (with the content that produced it) or from the pack, whichever is newer.
  function knownServerVersion(roundId, childId, entry) {
    var base = S.local.bases[baseKey(roundId, childId)];
    var packed = entry && entry.assessment;
    if (base && (!packed || base.version >= packed.version)) {
      return {
        version: base.version, itemId: base.itemId || null, submitted: !!base.submitted,
        payload: base.payload || (packed && packed.version === base.version ? packed : null),
      };
    }
    if (packed) return { version: packed.version, itemId: null, payload: packed, submitted: packed.status === "submitted" };
    return null;
  }

  function hasConflict(roundId, childId) {
    return S.local.conflicts.some(function (c) { return c.roundId === roundId && c.childId === childId; });
  }

  function assessmentStatus(round, entry) {
    var local = latestItemFor(round.id, entry.child_id);
    if (local) {
      if (local.state === "invalid") return ["invalid", t("status_invalid")];
      return local.body.payload.submit ? ["final", t("status_local_final")] : ["draft", t("status_local_draft")];
    }
    if (hasConflict(round.id, entry.child_id)) return ["conflict", t("status_conflict")];
    var known = knownServerVersion(round.id, entry.child_id, entry);
    if (known && known.submitted) return ["submitted", t("status_submitted")];
    if (known) return ["server-draft", t("status_server_draft")];
    return [null, ""];
  }

  function ageText(birth, on) {
    var b = new Date(birth), d = new Date(on);
    var months = (d.getFullYear() - b.getFullYear()) * 12 + d.getMonth() - b.getMonth() - (d.getDate() < b.getDate() ? 1 : 0);
    if (months < 24) return t("age_months", { n: months });
    return t("age_years", { y: Math.floor(months / 12), m: months % 12 });
  }

  function render() {
    if (!S.key) return;
    renderSyncBar();
    var pack = S.pack;
    $("pack-info").textContent = pack
      ? t("pack_info", { when: formatTime(pack.generated_at), expires: formatTime(pack.expires_at) })
      : t("pack_none");
    $("storage-info").textContent = S.persisted === undefined ? "" : S.persisted ? t("storage_persisted") : t("storage_not_persisted");
    $("change-pin").hidden = !(S.session && S.session.user.id === S.user.id);
    renderPackGroups();
    renderOutbox();
    renderConflicts();
    renderChildren();
  }

  function renderSyncBar() {
    var n = pendingItems().length + S.items.filter(function (i) { return i.state === "invalid"; }).length;
    $("net-state").textContent = S.online ? t("online") : t("offline");
    var count = $("queue-count");
    count.dataset.count = String(n);
    count.textContent = n === 0 ? t("waiting_none") : n === 1 ? t("waiting_one") : t("waiting_many", { n: n });
    $("last-sync").textContent = S.local.lastSync ? t("last_sync", { when: formatTime(S.local.lastSync) }) : t("never_synced");
    $("sync-message").textContent = S.syncing ? t("sending") : S.message;
    var invalid = S.items.filter(function (i) { return i.state === "invalid"; }).length;
    var error = S.error || (invalid ? t("invalid_some", { n: invalid }) : "");
    if (S.owner && S.owner.unreadable) error = (error ? error + " " : "") + t("unreadable", { n: S.owner.unreadable });
    $("sync-error").textContent = error;
    $("sync-error").hidden = !error;
    // Not while a form is open: following the link would leave what was typed.
    $("sync-signin").hidden = S.paused !== "signin" || !!S.editing;
    $("sync-now").disabled = S.syncing;
  }

  function itemTitle(item) {
    var p = item.body.payload;
    var child = item.body.child || "";
    return (item.kind === "assessment" ? t("kind_assessment") : t("kind_observation")) + ": " + child +
      (item.kind === "assessment" && item.body.round ? " (" + item.body.round + ")" : "");
  }

  var OUTBOX_SHOWN = 30;

  function renderOutbox() {
    var list = $("outbox-list");
    list.textContent = "";
    // Every item that needs the user (invalid), then the newest waiting ones; the count in
    // the sync bar says how many wait in all.
    var invalid = S.items.filter(function (i) { return i.state !== "pending"; });
    var pending = pendingItems();
    var shown = invalid.concat(pending.slice(Math.max(0, pending.length - OUTBOX_SHOWN)).reverse());
    shown.forEach(function (item) {
      var li = h("li", { class: "outbox-item outbox-" + item.state, "data-item": item.id },
        h("strong", { text: itemTitle(item) }), " ",
        h("span", { class: "field-hint", text: t("saved_at", { when: formatTime(item.updatedAt) }) }));
      if (item.state === "invalid") {
        li.appendChild(h("p", { class: "field-error", text: t("reason", { reason: item.body.reason || "" }) }));
        var row = h("div", { class: "button-row" });
        if (S.pack) {
          row.appendChild(h("button", { type: "button", class: "button button-secondary", text: t("edit"), onclick: function () {
            var p = item.body.payload;
            if (item.kind === "assessment") openAssessment(p.round_id, p.child_id);
            else openObservation(p.child_id, item);
          } }));
        }
        row.appendChild(h("button", { type: "button", class: "button button-danger", text: t("discard"), onclick: function () {
          if (!window.confirm(t("discard_confirm"))) return;
          itemsRevision += 1;
          deleteItems([item.id]).then(function () {
            S.items = S.items.filter(function (i) { return i.id !== item.id; });
            render();
          });
        } }));
        li.appendChild(row);
      }
      list.appendChild(li);
    });
    var hiddenCount = pending.length - Math.min(pending.length, OUTBOX_SHOWN);
    if (hiddenCount > 0) list.appendChild(h("li", { class: "field-hint", text: t("and_more", { n: hiddenCount }) }));
    $("outbox").hidden = S.items.length === 0;
  }

  function renderConflicts() {
    var list = $("conflict-list");
    list.textContent = "";
    S.local.conflicts.forEach(function (c) {
      list.appendChild(h("li", {},
        h("a", { href: "/sync/conflicts/" + c.id, text: t("conflict_link") + ": " + c.label })));
    });
    $("conflicts").hidden = S.local.conflicts.length === 0;
  }

  // Rounds per child, made once per pack.
  var roundIndex = null;
  var roundIndexOf = null;

  function roundsFor(childId) {
    if (roundIndexOf !== S.pack) {
      roundIndex = new Map();
      ((S.pack && S.pack.rounds) || []).forEach(function (round) {
        round.children.forEach(function (entry) {
          if (!roundIndex.has(entry.child_id)) roundIndex.set(entry.child_id, []);
          roundIndex.get(entry.child_id).push({ round: round, entry: entry });
        });
      });
      roundIndexOf = S.pack;
    }
    return roundIndex.get(childId) || [];
  }

  function childCard(child) {
    var card = h("li", { class: "child-card", "data-child": String(child.id) },
      h("h3", { text: child.first_name + " " + child.last_name }),
      h("p", { class: "field-hint", text: child.group }));
    roundsFor(child.id).forEach(function (r) {
      var status = assessmentStatus(r.round, r.entry);
      var row = h("p", { class: "child-round" },
        h("button", { type: "button", class: "button", "data-assess": r.round.id + ":" + child.id,
          text: t("assess") + " – " + r.round.name,
          disabled: status[0] === "submitted",
          onclick: function () { openAssessment(r.round.id, child.id); } }), " ");
      if (status[1]) row.appendChild(h("span", { class: "badge badge-" + status[0], text: status[1] }));
      card.appendChild(row);
    });
    if (S.pack.observation_sources && S.pack.observation_sources.length) {
      card.appendChild(h("p", {}, h("button", { type: "button", class: "button button-secondary", "data-observe": String(child.id),
        text: t("observe"), onclick: function () { openObservation(child.id); } })));
    }
    return card;
  }

  function renderChildren() {
    var list = $("child-list");
    list.textContent = "";
    var children = (S.pack && S.pack.children) || [];
    var groups = [];
    children.forEach(function (c) { if (groups.indexOf(c.group) < 0) groups.push(c.group); });
    var select = $("group-filter");
    var chosen = select.value;
    select.textContent = "";
    select.appendChild(h("option", { value: "", text: t("all_groups") }));
    groups.forEach(function (g) { select.appendChild(h("option", { value: g, text: g, selected: g === chosen })); });
    $("group-filter-field").hidden = groups.length < 2;
    if (!children.length && S.pack) list.appendChild(h("li", { text: t("no_children") }));
    var cards = document.createDocumentFragment();
    children.forEach(function (child) {
      if (!chosen || child.group === chosen) cards.appendChild(childCard(child));
    });
    list.appendChild(cards);
  }

  // After a save only one child's card changes: redraw that one, not the whole list.
  function renderAfterSave(childId) {
    renderSyncBar();
    renderOutbox();
    renderConflicts();
    var old = document.querySelector('#child-list [data-child="' + childId + '"]');
    var child = childById(childId);
    if (old && child) old.replaceWith(childCard(child));
    else renderChildren();
  }

  // The assessment form -----------------------------------------------------------------------

  function instrumentFor(ref) {
    var found = (S.pack.instruments || []).find(function (i) { return i.key === ref.key && i.version === ref.version; });
    return found && found.definition;
  }

  function openAssessment(roundId, childId) {
    var round = S.pack && S.pack.rounds.find(function (r) { return r.id === roundId; });
    var entry = round && round.children.find(function (e) { return e.child_id === childId; });
    var child = childById(childId);
    if (!entry || !child) return;
    var status = assessmentStatus(round, entry);
    if (status[0] === "submitted") { flash(t("already_submitted")); return; }
    // A conflict is settled online first; an edit on top of it would only add another.
    if (hasConflict(roundId, childId)) { flash(t("conflict_open")); return; }
    var def = instrumentFor(entry.instrument);
    var local = latestItemFor(roundId, childId);
    var known = knownServerVersion(roundId, childId, entry);
    var start = local ? local.body.payload : (known && known.payload) || {};
    var answers = start.answers || {};
    // Everything the save needs is kept with the form: it still saves if the pack expires.
    S.editing = { roundId: roundId, childId: childId, round: round, entry: entry, child: child };
    $("assess-title").textContent = child.first_name + " " + child.last_name + " – " + label(def.title);
    $("assess-facts").textContent = t("round") + ": " + round.name + " · " + ageText(child.birth_date, round.reference_date) + " · " + child.group;
    var areas = $("assess-areas");
    areas.textContent = "";
    def.areas.forEach(function (area) {
      var fs = h("fieldset", { class: "area" }, h("legend", { class: "area-title", text: label(area.title) }));
      var list = null;
      area.items.forEach(function (item) {
        var name = "a-" + item.key;
        if (item.kind === "indicator") {
          if (!list) { list = h("ul", { class: "statement-list" }); fs.appendChild(list); }
          list.appendChild(h("li", {}, h("label", { class: "statement-row", for: name },
            h("input", { type: "checkbox", class: "statement-check", id: name, name: name, "data-key": item.key, checked: answers[item.key] === true }),
            h("span", { class: "marker marker-" + (item.position || "green"), "aria-hidden": "true" }),
            h("span", { class: "statement-text", text: label(item.text) }))));
          return;
        }
        list = null;
        if (item.kind === "rated") {
          var options = h("div", { class: "rating-options", id: name });
          for (var v = item.scale.min; v <= item.scale.max; v++) {
            var oid = name + "-" + v;
            var word = def.scale_labels && def.scale_labels[String(v)];
            options.appendChild(h("label", { class: "rating-option", for: oid },
              h("input", { type: "radio", id: oid, name: name, value: String(v), "data-key": item.key, checked: answers[item.key] === v }),
              h("span", { class: "rating-number", text: String(v) }),
              word ? h("span", { class: "rating-word", text: label(word) }) : null));
          }
          fs.appendChild(h("div", { class: "rating", "data-rated": item.key },
            h("fieldset", {}, h("legend", { class: "rating-question", text: label(item.text) }), options)));
        } else {
          var ta = h("textarea", { id: name, name: name, rows: "3", maxlength: "4000", "data-key": item.key });
          ta.value = answers[item.key] || "";
          fs.appendChild(h("div", { class: "field" }, h("label", { for: name, text: label(item.text) }), ta));
        }
      });
      areas.appendChild(fs);
    });
    $("f-resources").value = start.resources || "";
    $("f-concerns").value = start.concerns || "";
    $("f-justification").value = start.justification || "";
    var vul = $("f-vulnerability");
    vul.textContent = "";
    [["", "not_assessed"], ["not", "vulnerability_not"], ["potentially", "vulnerability_potentially"], ["clearly", "vulnerability_clearly"]].forEach(function (o) {
      vul.appendChild(h("option", { value: o[0], text: t(o[1]), selected: (start.vulnerability || "") === o[0] }));
    });
    $("assess-errors").hidden = true;
    S.editingDef = def;
    // What the form opened with: an unchanged form is not saved when the app locks.
    S.editing.opened = JSON.stringify(readAssessment());
    S.editing.submit = !!(local && local.body.payload.submit);
    flash("");
    show("assess");
  }

  function readAssessment() {
    var answers = {};
    document.querySelectorAll("#assess-areas [data-key]").forEach(function (el) {
      var key = el.dataset.key;
      if (el.type === "checkbox") { if (el.checked) answers[key] = true; }
      else if (el.type === "radio") { if (el.checked) answers[key] = parseInt(el.value, 10); }
      else if (el.value.trim()) answers[key] = el.value;
    });
    return {
      round_id: S.editing.roundId,
      child_id: S.editing.childId,
      answers: answers,
      resources: $("f-resources").value,
      concerns: $("f-concerns").value,
      justification: $("f-justification").value,
      vulnerability: $("f-vulnerability").value || null,
    };
  }

  function missingRatings(def, answers) {
    var missing = [];
    def.areas.forEach(function (area) {
      area.items.forEach(function (item) {
        if (item.kind === "rated" && !(item.key in answers)) missing.push(item);
      });
    });
    return missing;
  }

  function saveAssessment(final) {
    var started = performance.now();
    var payload = readAssessment();
    var errors = $("assess-errors");
    document.querySelectorAll("[data-rated].field-invalid").forEach(function (el) { el.classList.remove("field-invalid"); });
    if (final) {
      var missing = missingRatings(S.editingDef, payload.answers);
      if (missing.length) {
        errors.textContent = t("missing_ratings");
        errors.hidden = false;
        missing.forEach(function (item) {
          var el = document.querySelector('[data-rated="' + item.key + '"]');
          if (el) el.classList.add("field-invalid");
        });
        errors.focus();
        return Promise.resolve(false);
      }
    }
    payload.submit = !!final;
    S.lastSaveMs = null;
    S.lastDrawnMs = null;
    S.saving = true;
    return queueAssessment(payload).then(function () {
      // Stored: sealed and committed to IndexedDB.
      S.saving = false;
      S.lastSaveMs = performance.now() - started;
      flash(final ? t("saved_final") : t("saved_draft"));
      S.editing = null;
      show("home");
      renderAfterSave(payload.child_id);
      // And the page drawn again, with the list and the message.
      requestAnimationFrame(function () {
        setTimeout(function () { S.lastDrawnMs = performance.now() - started; }, 0);
      });
      announceChange();
      if (S.online) syncNow();
      return true;
    }, function (error) {
      S.saving = false;
      errors.textContent = t("save_failed", { error: error && error.message ? error.message : String(error) });
      errors.hidden = false;
      return false;
    });
  }

  // Saves the assessment as an outbox item. An item that has never been sent is changed in
  // place; one that may have reached the server (its answer may have been lost) is left as
  // it is and the change becomes a new item on top of it (base_id), so the server can tell
  // a follow-up from a conflicting edit.
  function queueAssessment(payload) {
    return Promise.resolve().then(function () {
      itemsRevision += 1;
      var now = new Date().toISOString();
      var ed = S.editing && S.editing.roundId === payload.round_id && S.editing.childId === payload.child_id ? S.editing : null;
      var round = ed ? ed.round : S.pack && S.pack.rounds.find(function (r) { return r.id === payload.round_id; });
      var entry = ed ? ed.entry : round && round.children.find(function (e) { return e.child_id === payload.child_id; });
      var child = ed ? ed.child : childById(payload.child_id);
      if (!round || !entry || !child) throw new Error(t("pack_none"));
      var previous = latestItemFor(payload.round_id, payload.child_id);
      var names = { child: child.first_name + " " + child.last_name, round: round.name };
      if (previous && previous.attempts === 0) {
        // Never sent: changed in place.
        previous.body = Object.assign({}, previous.body, { payload: payload });
        previous.state = "pending";
        previous.updatedAt = now;
        return putItem(previous);
      }
      var body = Object.assign({ payload: payload }, names);
      var item = { id: newId(), kind: "assessment", state: "pending", createdAt: now, updatedAt: now, attempts: 0, body: body };
      if (previous && previous.state === "invalid") {
        // The server refused it and stored nothing: the correction takes its place and its base.
        body.base_version = previous.body.base_version;
        body.base_id = previous.body.base_id || null;
        S.items = S.items.filter(function (i) { return i.id !== previous.id; }).concat([item]);
        return replaceItem(item, previous.id);
      }
      if (previous) {
        // Sent, answer not yet heard: the edit follows it.
        body.base_version = previous.body.base_version;
        body.base_id = previous.id;
      } else {
        var known = knownServerVersion(payload.round_id, payload.child_id, entry);
        body.base_version = known ? known.version : null;
        body.base_id = known ? known.itemId : null;
      }
      S.items.push(item);
      return putItem(item);
    });
  }

  // The observation form ----------------------------------------------------------------------

  function openObservation(childId, correcting) {
    var child = childById(childId);
    if (!child) return;
    S.editing = { childId: childId, child: child, replaces: correcting ? correcting.id : null };
    $("observe-title").textContent = t("observe") + ": " + child.first_name + " " + child.last_name;
    var sources = S.pack.observation_sources;
    var source = $("o-source");
    source.textContent = "";
    if (sources.length > 1) source.appendChild(h("option", { value: "", text: t("choose") }));
    sources.forEach(function (s) { source.appendChild(h("option", { value: s.key, text: label(s.title) })); });
    fillCategories();
    var levels = $("o-level");
    levels.querySelectorAll(".choice").forEach(function (el) { el.remove(); });
    Object.keys(S.pack.observation_levels || { 1: 0, 2: 0, 3: 0 }).forEach(function (level) {
      var id = "o-level-" + level;
      var word = S.pack.observation_levels ? label(S.pack.observation_levels[level]) : "";
      levels.appendChild(h("div", { class: "choice" },
        h("input", { type: "radio", name: "level", id: id, value: level }),
        h("label", { for: id, text: level + (word ? " – " + word : "") })));
    });
    $("o-date").max = today();
    var was = correcting ? correcting.body.payload : null;
    if (was) {
      $("o-source").value = was.source;
      fillCategories();
      $("o-category").value = was.category;
      var level = document.querySelector('#o-level input[value="' + was.level + '"]');
      if (level) level.checked = true;
    }
    $("o-date").value = was ? was.observed_on : today();
    $("o-note").value = was ? was.note : "";
    $("observe-errors").hidden = true;
    flash("");
    show("observe");
  }

  function fillCategories() {
    var source = (S.pack.observation_sources || []).find(function (s) { return s.key === $("o-source").value; });
    var select = $("o-category");
    select.textContent = "";
    select.appendChild(h("option", { value: "", text: t("choose") }));
    (source ? source.categories : []).forEach(function (c) { select.appendChild(h("option", { value: c.key, text: label(c.title) })); });
  }

  function saveObservation() {
    var level = document.querySelector('#o-level input[name="level"]:checked');
    var payload = {
      child_id: S.editing.childId,
      source: $("o-source").value,
      category: $("o-category").value,
      level: level ? parseInt(level.value, 10) : null,
      observed_on: $("o-date").value,
      note: $("o-note").value,
    };
    var errors = $("observe-errors");
    if (!payload.source || !payload.category || !payload.level || !payload.observed_on) {
      errors.textContent = t("observation_invalid");
      errors.hidden = false;
      errors.focus();
      return Promise.resolve(false);
    }
    if (payload.observed_on > today()) {
      errors.textContent = t("date_in_future");
      errors.hidden = false;
      errors.focus();
      return Promise.resolve(false);
    }
    var child = S.editing.child;
    var replaces = S.editing.replaces;
    var now = new Date().toISOString();
    var item = { id: newId(), kind: "observation", state: "pending", createdAt: now, updatedAt: now, attempts: 0,
      body: { payload: payload, base_version: null, base_id: null, child: child.first_name + " " + child.last_name } };
    itemsRevision += 1;
    return (replaces ? replaceItem(item, replaces) : putItem(item)).then(function () {
      S.items = S.items.filter(function (i) { return i.id !== replaces; }).concat([item]);
      flash(t("saved_observation"));
      S.editing = null;
      show("home");
      renderAfterSave(payload.child_id);
      announceChange();
      if (S.online) syncNow();
      return true;
    }, function (error) {
      errors.textContent = t("save_failed", { error: error && error.message ? error.message : String(error) });
      errors.hidden = false;
      return false;
    });
  }

  // Sync ------------------------------------------------------------------------------------------

  var retryTimer = null;
  var reloadAfterSync = false;
  // Raised by every change of the outbox made in this tab: a read from IndexedDB that
  // overlapped one is read again rather than trusted.
  var itemsRevision = 0;

  function readState(owner) {
    var userId = owner.user.id;
    return withDb(function (db) { return db.get("state", userId); }).then(function (row) {
      if (!row) return emptyLocal();
      return unseal(owner.key, where(owner, "state", userId), row.box).then(function (value) {
        return Object.assign(emptyLocal(), value);
      });
    });
  }

  function readItemsSettled(owner, tries) {
    var revision = itemsRevision;
    return readItems(owner, S.items).then(function (items) {
      checkOwner(owner);
      if (revision !== itemsRevision && tries < 5) return readItemsSettled(owner, tries + 1);
      return items;
    });
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { if (S.key && pendingItems().length) syncNow(); }, RETRY_MS);
  }

  function withSyncLock(fn) {
    // One sync at a time across this browser's tabs (the server is idempotent anyway).
    if (navigator.locks && navigator.locks.request) return navigator.locks.request("trivselsspor-sync", fn);
    return fn();
  }

  function Stopped() { this.name = "Stopped"; }

  // A sync belongs to the user who was unlocked when it started (`owner`): it reads and
  // writes only with that user's key and state, and stops as soon as the app is locked or
  // another user unlocks it.
  function syncNow() {
    if (!S.owner || S.syncing) return Promise.resolve();
    var owner = S.owner;
    var ctx = { local: S.local }; // replaced by the stored state once inside the lock
    S.syncing = true;
    S.error = "";
    S.message = "";
    renderSyncBar();
    function finish() {
      S.syncing = false;
      if (isCurrent(owner)) {
        render();
        if (reloadAfterSync) {
          reloadAfterSync = false;
          loadUserData().then(render, function () {});
        }
      } else if (S.owner && pendingItems().length) {
        syncNow(); // someone else unlocked meanwhile: their turn
      }
    }
    return withSyncLock(function () {
      return syncBatches(owner, ctx);
    }).catch(function (error) {
      if (!isCurrent(owner) || error instanceof Stopped) return;
      if (error instanceof NetworkError) {
        S.online = false;
        S.error = t("error_network");
      } else {
        S.error = String(error && error.message ? error.message : error);
      }
      ctx.local.lastError = S.error;
      scheduleRetry();
      return saveLocal(owner, ctx.local);
    }).then(finish, function () { finish(); });
  }

  function checkOwner(owner) {
    if (!isCurrent(owner)) throw new Stopped();
  }

  function pause(kind, owner) {
    S.paused = kind;
    S.error = kind === "signin" ? t("paused_signin") : t("paused_other_user", { name: owner.user.name });
    scheduleRetry(); // resumes by itself once the right user has signed in (e.g. in another tab)
  }

  function syncBatches(owner, ctx) {
    return fetchSession().then(function (session) {
      checkOwner(owner);
      S.online = true;
      S.session = session;
      if (!session) return pause("signin", owner);
      if (session.user.id !== owner.user.id) return pause("other_user", owner);
      S.paused = null;
      // Read the outbox and the state again inside the lock: another tab of the same user
      // may have synced or changed them meanwhile.
      return readState(owner).then(function (stored) {
        checkOwner(owner);
        ctx.local = stored;
        S.local = stored;
        return readItemsSettled(owner, 0);
      }).then(function (items) {
        S.items = items;
        return sendNext(owner, ctx.local, session.csrf_token, false);
      }).then(function () {
        if (isCurrent(owner) && !S.paused) return refreshConflicts(owner, ctx.local);
      });
    });
  }

  // The server's list of this user's open conflicts replaces the device's: one resolved on
  // the office PC disappears here too.
  function refreshConflicts(owner, local) {
    return api("/api/conflicts").then(function (response) {
      if (!response.ok) return null;
      return response.json().then(function (data) {
        checkOwner(owner);
        local.conflicts = (data.conflicts || []).filter(function (c) {
          return c.mine && c.user.id === owner.user.id;
        }).map(function (c) {
          var known = local.conflicts.find(function (k) { return k.id === c.id; });
          return {
            id: c.id,
            label: known ? known.label : c.child.first_name + " " + c.child.last_name,
            roundId: c.round_id || (known ? known.roundId : null),
            childId: c.child.id,
          };
        });
        return saveLocal(owner, local);
      });
    }).catch(function () { /* the list is refreshed at the next sync */ });
  }

  function wireItem(item) {
    return {
      id: item.id, kind: item.kind,
      base_version: item.body.base_version === undefined ? null : item.body.base_version,
      base_id: item.body.base_id || null, payload: item.body.payload,
    };
  }

  function sendNext(owner, local, token, retried) {
    checkOwner(owner);
    var batch = pendingItems().slice(0, BATCH_SIZE);
    if (!batch.length) {
      local.lastSync = new Date().toISOString();
      local.lastError = null;
      if (!S.items.length) S.message = t("sent_all");
      return saveLocal(owner, local);
    }
    // Counted before sending: from now on the server may have it, so a later edit becomes a
    // new item on top of this one rather than a change of it.
    batch.forEach(function (item) { item.attempts += 1; });
    return Promise.all(batch.map(function (item) { return putItem(item, owner); })).then(function () {
      checkOwner(owner);
      // The user the items belong to is named: the server refuses the batch if the browser's
      // session is someone else's.
      var body = JSON.stringify({ user_id: owner.user.id, items: batch.map(wireItem) });
      return api("/api/sync", {
        method: "POST", body: body, timeout: SYNC_TIMEOUT_MS,
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      });
    }).then(function (response) {
      checkOwner(owner);
      if (response.status === 401) return pause("signin", owner);
      if (response.status === 409) return pause("other_user", owner);
      if (response.status === 400 && !retried) {
        // Most likely a CSRF token that expired: read a fresh one and try once more.
        return fetchSession().then(function (session) {
          checkOwner(owner);
          if (!session) return pause("signin", owner);
          if (session.user.id !== owner.user.id) return pause("other_user", owner);
          return sendNext(owner, local, session.csrf_token, true);
        });
      }
      if (!response.ok) { S.error = t("error_server", { code: response.status }); scheduleRetry(); return null; }
      return response.json().then(function (data) {
        return applyResults(owner, local, batch, data.results || []);
      }).then(function () {
        return sendNext(owner, local, token, false);
      });
    });
  }

  function applyResults(owner, local, batch, results) {
    var byId = {};
    results.forEach(function (r) { byId[r.id] = r; });
    var done = [];
    var changed = [];
    batch.forEach(function (item) {
      var r = byId[item.id];
      if (!r) return; // no answer for it: it stays and is sent again
      var p = item.body.payload;
      if (r.status === "stored" || r.status === "already_stored") {
        done.push(item.id);
        if (item.kind === "assessment") {
          // What the server now holds, so the form opens with it and the next edit builds on it.
          local.bases[baseKey(p.round_id, p.child_id)] = {
            version: r.server_version, itemId: item.id, submitted: !!p.submit, payload: p,
          };
        }
      } else if (r.status === "conflict") {
        // The server keeps both versions; the device need not keep its copy.
        done.push(item.id);
        if (!local.conflicts.some(function (c) { return c.id === r.conflict_id; })) {
          local.conflicts.push({ id: r.conflict_id, label: itemTitle(item), roundId: p.round_id || null, childId: p.child_id });
        }
      } else if (r.status === "invalid") {
        item.state = "invalid";
        item.body.reason = r.reason || "";
        changed.push(item);
      }
    });
    if (isCurrent(owner)) S.items = S.items.filter(function (i) { return done.indexOf(i.id) < 0; });
    itemsRevision += 1;
    // Deleted only now that the server has answered for them; the ids are this owner's.
    return Promise.all(changed.map(function (item) { return putItem(item, owner); })).then(function () {
      return deleteItems(done);
    }).then(function () {
      return saveLocal(owner, local);
    }).then(function () {
      if (isCurrent(owner)) {
        render();
        announceChange();
      }
    });
  }

  // The offline pack --------------------------------------------------------------------------------

  // The groups the user may narrow the pack to (online only); the last choice is kept.
  function renderPackGroups() {
    var groups = (S.session && S.session.user.id === S.user.id && S.session.groups) || [];
    var box = $("pack-group-list");
    var shown = box.querySelectorAll("input");
    var chosen = shown.length
      ? Array.prototype.filter.call(shown, function (el) { return el.checked; }).map(function (el) { return parseInt(el.value, 10); })
      : S.local.packGroups || [];
    box.textContent = "";
    groups.forEach(function (g) {
      var id = "pack-group-" + g.id;
      box.appendChild(h("div", { class: "choice" },
        h("input", { type: "checkbox", id: id, value: String(g.id), checked: chosen.indexOf(g.id) >= 0 }),
        h("label", { for: id, text: g.name + " (" + g.institution + ")" })));
    });
    $("pack-groups").hidden = groups.length < 2;
  }

  function downloadPack() {
    var owner = S.owner;
    var button = $("download-pack");
    button.disabled = true;
    var groups = Array.prototype.map.call(
      document.querySelectorAll("#pack-group-list input:checked"),
      function (el) { return parseInt(el.value, 10); });
    S.local.packGroups = groups;
    var query = groups.map(function (id) { return "group=" + id; }).join("&");
    return api("/api/offline-pack" + (query ? "?" + query : "")).then(function (response) {
      if (response.status === 401) { S.paused = "signin"; throw new Error(t("paused_signin")); }
      if (!response.ok) throw new Error(t("pack_failed"));
      return response.json();
    }).then(function (pack) {
      if (pack.user.id !== owner.user.id) throw new Error(t("paused_other_user", { name: owner.user.name }));
      return seal(owner.key, where(owner, "packs", owner.user.id), pack).then(function (box) {
        return withDb(function (db) {
          return db.put("packs", { userId: owner.user.id, box: box, expiresAt: pack.expires_at });
        });
      }).then(function () {
        if (!isCurrent(owner)) throw new Stopped();
        S.pack = pack;
      });
    }).then(function () {
      flash(t("pack_loaded", { n: S.pack.children.length }));
      saveLocal(owner).catch(function () {});
      if (navigator.storage && navigator.storage.persist) {
        return navigator.storage.persist().then(function (yes) { S.persisted = yes; });
      }
    }).catch(function (error) {
      if (error instanceof Stopped) return;
      flash(error instanceof NetworkError ? t("pack_failed") : error.message);
    }).then(function () {
      button.disabled = false;
      render();
    });
  }

  // Export (last resort) ------------------------------------------------------------------------

  function exportItems() {
    if (!S.items.length) return;
    if (!window.confirm(t("export_warning"))) return;
    var data = {
      format: "trivselsspor-sync-batch",
      exported_at: new Date().toISOString(),
      user: S.user,
      items: S.items.map(function (item) {
        return { id: item.id, kind: item.kind, base_version: item.body.base_version === undefined ? null : item.body.base_version,
          base_id: item.body.base_id || null, payload: item.body.payload };
      }),
    };
    var blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    var link = h("a", { href: URL.createObjectURL(blob), download: "trivselsspor-ikke-sendte-" + today() + ".json" });
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  // Other tabs ----------------------------------------------------------------------------------

  function announceChange() {
    if (channel && S.user) channel.postMessage({ type: "changed", userId: S.user.id });
  }

  if (channel) {
    channel.onmessage = function (event) {
      var msg = event.data || {};
      if (msg.type === "lock" && S.key) lockKeepingForm();
      if (msg.type === "changed" && S.key && msg.userId === S.user.id) {
        // The open form is not touched by a reload; its next save sees the other tab's change.
        if (S.syncing) reloadAfterSync = true;
        else loadUserData().then(render, function () {});
      }
    };
  }

  // Start -----------------------------------------------------------------------------------------

  function boot() {
    return fetchSession().then(function (session) {
      S.online = true;
      S.session = session;
      if (!session) return showLock("");
      return withDb(function (db) { return db.get("keys", session.user.id); }).then(function (row) {
        return fetchServerKey(session.user.id).then(function (raw) {
          if (!row) {
            // First time on this device: choose a PIN that wraps the key.
            S.pendingKey = raw;
            S.pendingUser = session.user;
            show("setpin");
            return;
          }
          // Signed in online: the server's copy of the key unlocks, no PIN needed (this is
          // also how a forgotten PIN loses nothing).
          return importDataKey(raw).then(function (key) { return unlocked(session.user, key); });
        });
      });
    }).catch(function (error) {
      S.online = false;
      S.session = null;
      return showLock(error instanceof NetworkError ? "" : String(error));
    });
  }

  $("unlock-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = document.querySelector('#user-choice input[name="user"]:checked');
    var pin = $("unlock-pin").value;
    var error = $("unlock-error");
    error.hidden = true;
    if (!chosen) return;
    var wait = Math.ceil((S.pinBlockedUntil - Date.now()) / 1000);
    if (wait > 0) { error.textContent = t("too_many_pins", { s: wait }); error.hidden = false; return; }
    unlockWithPin(parseInt(chosen.value, 10), pin).then(function (result) {
      S.failedPins = 0;
      $("unlock-pin").value = "";
      flash("");
      return unlocked(result.user, result.key);
    }, function () {
      S.failedPins += 1;
      if (S.failedPins >= 5) S.pinBlockedUntil = Date.now() + 1000 * Math.min(300, 15 * Math.pow(2, S.failedPins - 5));
      error.textContent = t("wrong_pin");
      error.hidden = false;
      $("unlock-pin").select();
    });
  });

  $("setpin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var pin = $("new-pin").value, again = $("new-pin-repeat").value;
    var error = $("setpin-error");
    if (pin.length < 6) { error.textContent = t("pin_too_short"); error.hidden = false; return; }
    if (pin !== again) { error.textContent = t("pin_mismatch"); error.hidden = false; return; }
    error.hidden = true;
    var user = S.pendingUser || S.user;
    var raw = S.pendingKey;
    var next = raw ? Promise.resolve(raw) : fetchServerKey(user.id);
    next.then(function (bytes) {
      return wrapAndStore(user, bytes, pin).then(function () { return importDataKey(bytes); });
    }).then(function (key) {
      S.pendingKey = null;
      S.pendingUser = null;
      $("new-pin").value = "";
      $("new-pin-repeat").value = "";
      flash(t("pin_saved"));
      return unlocked(user, key);
    }).catch(function () {
      error.textContent = t("pack_failed");
      error.hidden = false;
    });
  });

  $("assess-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var final = event.submitter && event.submitter.value === "final";
    saveAssessment(final);
  });
  $("observe-form").addEventListener("submit", function (event) {
    event.preventDefault();
    saveObservation();
  });
  $("o-source").addEventListener("change", fillCategories);
  $("group-filter").addEventListener("change", renderChildren);
  document.querySelectorAll("[data-back]").forEach(function (b) {
    b.addEventListener("click", function () { S.editing = null; show("home"); render(); });
  });
  $("lock-button").addEventListener("click", function () { lockKeepingForm(); });
  $("download-pack").addEventListener("click", downloadPack);
  $("sync-now").addEventListener("click", function () { syncNow(); });
  $("export-button").addEventListener("click", exportItems);
  // A new PIN wraps the server's copy of the key: only while this very user is signed in.
  $("change-pin").addEventListener("click", function () {
    var owner = S.owner;
    fetchSession().then(function (session) {
      if (!isCurrent(owner)) return;
      if (!session || session.user.id !== owner.user.id) {
        flash(t("paused_other_user", { name: owner.user.name }));
        return;
      }
      S.pendingUser = owner.user;
      S.pendingKey = null;
      show("setpin");
    }, function () { flash(t("pack_failed")); });
  });

  // Locks itself after a while without use, like the signed-in pages; and drops an expired
  // pack while open.
  var idleSeconds = parseInt(root.dataset.idleSeconds || "1800", 10);
  var lastActivity = Date.now();
  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, function () { lastActivity = Date.now(); }, { passive: true });
  });
  setInterval(function () {
    if (!S.key) return;
    if (Date.now() - lastActivity > idleSeconds * 1000) {
      // Safe during a sync: it stops at its next step (it belongs to its owner).
      lockKeepingForm(t("idle_locked"));
    } else if (S.pack && new Date(S.pack.expires_at) < new Date() && !S.editing && !S.syncing) {
      loadUserData().then(render);
    }
  }, Math.min(30, Math.max(1, idleSeconds / 4)) * 1000);

  window.addEventListener("online", function () { S.online = true; if (S.key) { renderSyncBar(); syncNow(); } });
  window.addEventListener("offline", function () { S.online = false; if (S.key) renderSyncBar(); });
  if ("serviceWorker" in navigator) {
    var hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (hadController) flash(t("new_version"));
      hadController = true;
    });
  }

  // For tests and the benchmark (config OFFLINE_TEST_HOOKS; off in production): the app's
  // state and actions.
  if ("testHooks" in root.dataset) window.trivselsspor = {
    state: S,
    syncNow: syncNow,
    // The storage path of a save (seal and IndexedDB), without redrawing the page.
    queueAssessment: queueAssessment,
    render: render,
    // Closes the database connection under the app, as a browser may do at any time.
    closeDatabase: function () {
      return openDb().then(function (db) { db.close(); });
    },
  };

  boot();
})();

/*
 * Keeps what the user types in a form safe until the server has confirmed it.
 *
 * Forms marked data-keep-draft="<key>" are copied to sessionStorage on every change. If the
 * connection drops, the session times out (the user signs in again and comes back) or the
 * tab reloads, the page restores the typed values and says so. After the server has saved
 * the form, it marks the next page with <body data-clear-draft="<key>"> and the copy is
 * removed. Signing out removes every copy. sessionStorage belongs to this tab only and is
 * gone when the tab closes. No inline script is needed (the CSP forbids it).
 */
(function () {
  "use strict";
  var PREFIX = "trivselsspor:draft:";
  var SKIP = { csrf_token: true, version: true };

  function storage() {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null;
    }
  }

  function snapshot(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "submit" || el.type === "file") return;
      if (el.type === "checkbox") {
        if (el.checked) data[el.name] = (data[el.name] || []).concat([el.value]);
      } else if (el.type === "radio") {
        if (el.checked) data[el.name] = el.value;
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function restore(form, data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "submit" || el.type === "file") return;
      var value = data[el.name];
      if (el.type === "checkbox") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) !== -1;
      } else if (el.type === "radio") {
        el.checked = value === el.value;
      } else if (typeof value === "string") {
        el.value = value;
      }
    });
  }

  function sameAsForm(form, data) {
    return JSON.stringify(snapshot(form)) === JSON.stringify(data);
  }

  function init() {
    var store = storage();
    if (!store) return;
    var clear = document.body.getAttribute("data-clear-draft");
    if (clear) store.removeItem(PREFIX + clear);

    Array.prototype.forEach.call(document.querySelectorAll("form[data-keep-draft]"), function (form) {
      var key = PREFIX + form.getAttribute("data-keep-draft");
      var saved = store.getItem(key);
      if (saved) {
        try {
          var data = JSON.parse(saved);
          if (!sameAsForm(form, data)) {
            restore(form, data);
            var notice = document.getElementById("draft-restored");
            if (notice) notice.hidden = false;
          }
        } catch (e) {
          store.removeItem(key);
        }
      }
      var keep = function () {
        store.setItem(key, JSON.stringify(snapshot(form)));
      };
      form.addEventListener("input", keep);
      form.addEventListener("change", keep);
    });

    Array.prototype.forEach.call(document.querySelectorAll("form[data-sign-out]"), function (form) {
      form.addEventListener("submit", function () {
        for (var i = store.length - 1; i >= 0; i--) {
          var k = store.key(i);
          if (k && k.indexOf(PREFIX) === 0) store.removeItem(k);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

/* Installs the offline app's service worker from any page, so one online visit is enough
   for the app to open offline later; and tells open offline app tabs to lock when the user
   signs out here. */
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        /* No worker (e.g. a private window): the app still works online. */
      });
    });
  }
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("[data-sign-out]") && "BroadcastChannel" in window) {
      new BroadcastChannel("trivselsspor").postMessage({ type: "lock" });
    }
  });
})();

/* Installs the offline app's service worker from any page, so one online visit is enough
   for the app to open offline later; and tells open offline app tabs to lock when the user
   signs out here.

   Two things can leave a page without the worker although one visit should be enough:
   - the first install fails (the network dropped while the app's files were fetched, or the
     server moved on to a newer version meanwhile): it is tried again a few times, with a
     growing pause;
   - the page was already on its way while the worker was being installed, so the worker's
     "take over every open page" missed it: the page asks the worker to take it over. */
(function () {
  "use strict";
  var RETRIES = 4;

  function takeOver() {
    navigator.serviceWorker.ready.then(function (registration) {
      if (!navigator.serviceWorker.controller && registration.active) {
        registration.active.postMessage("claim");
      }
    });
  }

  function register(attempt) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
      var worker = registration.installing;
      if (!worker) return;
      worker.addEventListener("statechange", function () {
        var failed = worker.state === "redundant" && !registration.active &&
          !registration.waiting && !registration.installing;
        if (failed && attempt < RETRIES) {
          setTimeout(function () { register(attempt + 1); }, 1000 * Math.pow(2, attempt));
        }
      });
    }).catch(function () {
      /* No worker (e.g. a private window, or the server unreachable): the app still works
         online; try again later while attempts remain. */
      if (attempt < RETRIES) setTimeout(function () { register(attempt + 1); }, 1000 * Math.pow(2, attempt));
    });
  }

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      register(0);
      takeOver();
    });
  }
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("[data-sign-out]") && "BroadcastChannel" in window) {
      new BroadcastChannel("trivselsspor").postMessage({ type: "lock" });
    }
  });
})();

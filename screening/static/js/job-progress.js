/* Follows a background PDF job: polls its status and shows progress, then the download. */
(function () {
  "use strict";
  function init() {
    var box = document.querySelector("[data-job-status-url]");
    if (!box) return;
    var url = box.getAttribute("data-job-status-url");
    var bar = document.getElementById("job-bar");
    var count = document.getElementById("job-count");
    var text = document.getElementById("job-text");
    var link = document.getElementById("job-download");
    var messages = document.getElementById("job-messages");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          bar.max = Math.max(s.total, 1);
          bar.value = s.done;
          count.textContent = s.done;
          if (s.status === "done" && s.download) {
            text.textContent = messages.getAttribute("data-done");
            link.href = s.download;
            link.hidden = false;
          } else if (s.status === "failed") {
            text.textContent = s.error || messages.getAttribute("data-failed");
          } else {
            window.setTimeout(poll, 700);
          }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    poll();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

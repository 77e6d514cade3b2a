// Follows a running load: polls its status and updates the progress bar; reloads when done.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || !box.dataset.statusUrl) { return; }
  var bar = document.getElementById("run-bar");
  var live = box.querySelector('[data-field="live"]');
  var label = box.querySelector('[data-field="status_label"]');
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (bar) { bar.value = s.progress; }
        if (label) { label.textContent = s.status_label; }
        if (s.status === "queued" || s.status === "running") {
          if (live) { live.textContent = Math.round(s.progress * 100) + " %"; }
          window.setTimeout(poll, 1500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();

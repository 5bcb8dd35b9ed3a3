// While a roster sync runs, ask for its status every few seconds and show the progress; reload
// the page (to show the members) once it has finished. The status URL carries the launch token.
(function () {
  "use strict";
  var box = document.getElementById("sync-status");
  if (!box || !box.dataset.statusUrl || box.dataset.running !== "true") return;
  var text = document.getElementById("sync-message");
  var bar = document.getElementById("sync-progress");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 5000); return; }
        if (text && s.message) text.textContent = s.message;
        if (bar) {
          if (s.total) { bar.max = s.total; bar.value = s.done; } else { bar.removeAttribute("value"); }
        }
        if (s.finished) { window.location.replace(box.dataset.pageUrl); } else { setTimeout(poll, 2000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
})();

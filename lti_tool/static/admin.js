// Copy buttons on the admin pages: <button data-copy="ID"> copies the value of the field ID.
// Loaded from Wayfinder itself (CSP script-src 'self'); no inline script.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function announce(message) {
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = message; }, 50);
    }
  }

  function fallbackCopy(field) {
    // Inside an LMS iframe the Clipboard API may be denied: select the text and copy it.
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  function done(button, ok, label) {
    var original = button.getAttribute("data-label") || button.firstChild.textContent;
    button.setAttribute("data-label", original);
    button.firstChild.textContent = ok ? "Copied" : "Press Ctrl+C";
    announce(ok ? label + " copied." : "Copying was refused; the text is selected, press Ctrl+C.");
    window.setTimeout(function () { button.firstChild.textContent = original; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var label = button.textContent.replace(/^Copy\s*/, "") || "Value";
    var text = field.value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done(button, true, label); },
        function () { done(button, fallbackCopy(field), label); }
      );
    } else {
      done(button, fallbackCopy(field), label);
    }
  });
})();

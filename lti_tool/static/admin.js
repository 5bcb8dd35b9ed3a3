// Copy buttons on the admin pages: <button data-copy="ID"> copies the value of the field ID.
// Loaded from Wayfinder itself (CSP script-src 'self'); no inline script. The words it says come
// from the page, in its language: data-* attributes of #copy-status (templates/admin/setup.html).
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function words(name) {
    return (status && status.getAttribute("data-" + name)) || "";
  }

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
    var original = button.getAttribute("data-original") || button.firstChild.textContent;
    button.setAttribute("data-original", original);
    button.firstChild.textContent = ok ? words("copied") : words("press-ctrl-c");
    announce(ok
      ? words("copied-message").replace("{what}", label)
      : words("refused-message"));
    window.setTimeout(function () { button.firstChild.textContent = original; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    // The button reads "Copy<span class=visually-hidden> Tool URL</span>": the hidden part names it.
    var named = button.querySelector(".visually-hidden");
    var label = (named && named.textContent.trim()) || words("value");
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

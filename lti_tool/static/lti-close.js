// End of LTI Dynamic Registration: tell the LMS (Canvas's iframe parent, or the window that opened
// Moodle's registration) to close its dialog. Automatic when nothing needs the admin's attention;
// otherwise after they have read the warnings and pressed the button.
(function () {
  "use strict";
  var root = document.getElementById("lti-close");
  if (!root) { return; }
  var status = root.querySelector("[data-status]");
  var button = document.getElementById("lti-close-button");

  function close() {
    var message = { subject: "org.imsglobal.lti.close" };
    var targets = [];
    if (window.opener && window.opener !== window) { targets.push(window.opener); }
    if (window.parent && window.parent !== window) { targets.push(window.parent); }
    targets.forEach(function (target) {
      // The message carries nothing secret, and the LMS page's origin is not known here.
      try { target.postMessage(message, "*"); } catch (e) { /* a closed opener */ }
    });
    if (status) {
      // The words come from the page (data-returning, data-close-window), in its language.
      status.textContent = targets.length ? root.dataset.returning : root.dataset.closeWindow;
    }
  }

  if (button) { button.addEventListener("click", close); }
  if (root.getAttribute("data-autoclose") === "1") { close(); }
})();

// LTI Platform Storage (LTI Client Side postMessages): keep the OIDC state in the LMS page's
// storage when the browser blocks Wayfinder's cookies inside the LMS iframe.
(function () {
  "use strict";
  var root = document.getElementById("lti-storage");
  if (!root) { return; }
  var mode = root.dataset.mode;
  var origin = root.dataset.origin || "*";
  var key = root.dataset.key;
  var value = root.dataset.value;
  var targetName = root.dataset.target;
  var messageId = "wayfinder-" + Math.random().toString(36).slice(2);
  var done = false;
  var repeat = null;

  function targetWindow() {
    var parent = window.parent;
    if (!parent || parent === window) { return null; }
    if (!targetName || targetName === "_parent") { return parent; }
    try { return parent.frames[targetName] || parent; } catch (e) { return parent; }
  }

  function finish(ok, stored) {
    if (done) { return; }
    done = true;
    if (repeat) { window.clearInterval(repeat); }
    if (mode === "put") {
      // Whatever happened, continue to the LMS sign-in; the state cookie is the fallback.
      window.location.replace(root.dataset.next);
      return;
    }
    if (ok && stored === value) {
      document.getElementById("lti-storage-form").submit();
    } else {
      document.getElementById("lti-storage-failed").hidden = false;
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || data.message_id !== messageId) { return; }
    if (origin !== "*" && event.origin !== origin) { return; }
    if (data.subject === "lti.put_data.response" || data.subject === "lti.get_data.response") {
      finish(!data.error, data.value);
    }
  });

  var target = targetWindow();
  if (!target) { finish(false); return; }
  var message = { subject: mode === "put" ? "lti.put_data" : "lti.get_data", message_id: messageId, key: key };
  if (mode === "put") { message.value = value; }
  // A message posted before the LMS page listens is lost, so ask again until answered (both
  // messages are safe to repeat). No answer in time: the put goes on with the cookie as fallback;
  // the get, whose answer a platform that took the put will give, waits longer before giving up.
  function send() { target.postMessage(message, origin); }
  send();
  repeat = window.setInterval(send, 250);
  window.setTimeout(function () { finish(false); }, mode === "put" ? 2000 : 5000);
})();

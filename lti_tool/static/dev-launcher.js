// The development launcher's pretend LMS. Loaded in the page's head without `defer`, so its
// listeners are attached before the Wayfinder frames below start loading: a frame that posts a
// message early (LTI Platform Storage at login) must never find nobody listening. Elements are
// looked up when a message arrives, by which time the page has them.

// The pretend LMS closes its registration dialog when Wayfinder says so, as Moodle and Canvas do.
(function () {
  "use strict";
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.subject !== "org.imsglobal.lti.close") { return; }
    var install = document.getElementById("lms-install");
    if (!install) { return; }
    var note = document.createElement("p");
    note.className = "flash";
    note.setAttribute("role", "status");
    note.textContent = install.dataset.done;
    install.replaceChildren(note);
  });
})();

// The pretend LMS answers LTI Platform Storage messages from the Wayfinder frame, as Canvas does.
(function () {
  "use strict";
  var stored = {};
  window.addEventListener("message", function (event) {
    var frame = document.getElementById("lms-frame");
    if (!frame || frame.dataset.storage !== "answer") { return; }
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.subject !== "string") { return; }
    var reply = { message_id: data.message_id, key: data.key };
    if (data.subject === "lti.put_data") {
      stored[event.origin + "\n" + data.key] = data.value;
      reply.subject = "lti.put_data.response";
      reply.value = data.value;
    } else if (data.subject === "lti.get_data") {
      reply.subject = "lti.get_data.response";
      reply.value = stored[event.origin + "\n" + data.key];
    } else if (data.subject === "lti.capabilities") {
      reply = { subject: "lti.capabilities.response", message_id: data.message_id,
                supported_messages: [{ subject: "lti.put_data" }, { subject: "lti.get_data" }] };
    } else { return; }
    event.source.postMessage(reply, event.origin);
  });
})();

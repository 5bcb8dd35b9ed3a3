// Post the signed deep-linking response to the LMS as soon as the page loads (the CSP forbids
// inline scripts). Without JavaScript, the form's own Continue button does the same.
(function () {
  "use strict";
  var form = document.getElementById("deep-link-return");
  if (form) { form.submit(); }
})();

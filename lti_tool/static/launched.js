// This page answered the LMS's launch POST. Put the page's own URL (with its launch token) in
// place of that POST in the browser's history, so a refresh is a plain GET of this page and
// never re-posts the LMS's one-time id_token.
(function () {
  var script = document.currentScript;
  var url = script && script.getAttribute("data-url");
  if (url && window.history && window.history.replaceState) {
    window.history.replaceState(window.history.state, "", url);
  }
})();

// Scrollable regions (a wide table, a long command) carry tabindex="0" so that a keyboard user
// can reach them and scroll with the arrow keys. Where a region does not scroll (a wide screen,
// a table stacked on a narrow one), that tab stop leads nowhere: drop it, and give it back when
// the region scrolls after a resize. Without this script every region keeps its tab stop.
(function () {
  var regions = Array.prototype.slice.call(
    document.querySelectorAll('[role="region"][tabindex="0"]')
  );
  function scrolls(el) {
    return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
  }
  function update() {
    regions.forEach(function (el) {
      if (scrolls(el)) {
        el.setAttribute("tabindex", "0");
      } else if (document.activeElement !== el) {
        el.removeAttribute("tabindex");
      }
    });
  }
  var pending = null;
  update();
  window.addEventListener("load", update); // web fonts can change the widths
  window.addEventListener("resize", function () {
    if (pending) window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(update);
  });
})();

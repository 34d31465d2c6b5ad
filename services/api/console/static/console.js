// kefu-scorecard console: keyboard for the lost-inquiry review (no build step).
// j / k: next / previous inquiry; 1-7: mark the cause with that number.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var review = document.getElementById("review");
    if (!review) return;
    if (event.key === "j" || event.key === "k") {
      var link = document.querySelector(event.key === "j" ? "a[data-next]" : "a[data-prev]");
      if (link) { window.location.assign(link.href); event.preventDefault(); }
      return;
    }
    var button = document.querySelector('button[data-key="' + event.key + '"]');
    if (button) { button.click(); event.preventDefault(); }
  });
})();

// A refresh of the team table (htmx, every few seconds) keeps the manager's place: the
// table's horizontal scroll is put back after the swap.
(function () {
  "use strict";
  var left = 0;
  document.addEventListener("htmx:beforeSwap", function () {
    var wrap = document.querySelector("#team-live .table-wrap");
    left = wrap ? wrap.scrollLeft : 0;
  });
  document.addEventListener("htmx:afterSwap", function () {
    var wrap = document.querySelector("#team-live .table-wrap");
    if (wrap) wrap.scrollLeft = left;
  });
})();

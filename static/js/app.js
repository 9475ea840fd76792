// Behaviour every page shares: links that act as buttons (role="button") answer the
// Space key as buttons do, so keyboard users can press them either way.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== " ") return;
    var link = event.target.closest && event.target.closest('a[role="button"]');
    if (!link) return;
    event.preventDefault();
    link.click();
  });
})();

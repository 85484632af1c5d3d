/* Page helpers (no inline script anywhere: strict CSP). */
(function () {
  "use strict";
  function on(selector, handler) {
    document.querySelectorAll(selector).forEach(function (node) { node.addEventListener("click", handler); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    on("[data-print]", function () { window.print(); });
    on("[data-open-chat]", function () { if (window.TroLyThuTuc) window.TroLyThuTuc.open(); });
    on("[data-share]", function (e) {
      var b = e.currentTarget, url = b.getAttribute("data-url"), title = b.getAttribute("data-title");
      var status = document.querySelector("[data-share-status]");
      function say(text) { if (status) status.textContent = text; }
      if (navigator.share) {
        navigator.share({ title: title, url: url }).catch(function () { /* closed by the user */ });
      } else if (navigator.clipboard) {
        navigator.clipboard.writeText(url).then(function () { say("Đã chép liên kết: " + url); },
          function () { say("Liên kết: " + url); });
      } else {
        say("Liên kết: " + url);
      }
    });
  });
})();

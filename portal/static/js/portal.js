// Small enhancements of the H5 shell; every page works without this file.
// - The title bar's back arrow goes back in history when the previous page is its parent (the list keeps
//   its search and scroll), else follows its href to the parent.
// - 发送验证码 counts down 60 s after a code was sent ([data-countdown] on the button).
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-back]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) {
      return;
    }
    var fromParent = false;
    try {
      var previous = new URL(document.referrer);
      fromParent = previous.origin === link.origin && previous.pathname === link.pathname;
    } catch (e) {
      fromParent = false;
    }
    if (fromParent && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  function countdown(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("button[data-countdown]").forEach(function (button) {
      var left = parseInt(button.getAttribute("data-countdown"), 10) || 0;
      var label = button.textContent;
      var template = button.getAttribute("data-countdown-label") || "%s";
      button.removeAttribute("data-countdown");
      function tick() {
        if (left <= 0) {
          button.disabled = false;
          button.textContent = label;
          return;
        }
        button.disabled = true;
        button.textContent = template.replace("%s", String(left));
        left -= 1;
        window.setTimeout(tick, 1000);
      }
      tick();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdown(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    countdown(document);
  });
})();

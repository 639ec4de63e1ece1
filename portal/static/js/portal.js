// Small enhancements of the H5 shell; every page works without this file.
// - The title bar's back arrow goes back in history when the previous page is its parent (the list keeps
//   its search and scroll), else follows its href to the parent.
// - 发送验证码 counts down 60 s after a code was sent ([data-countdown] on the button).
// - 复制 beside a long number ([data-copy], portal/shell.py: long_number) copies it and says 已复制.
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

  function copyText(text, source) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Older webviews: select the number itself and copy the selection.
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var done = document.execCommand && document.execCommand("copy");
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) {
      return;
    }
    var box = button.closest(".long-number");
    var status = box && box.querySelector(".copy-status");
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    copyText(button.getAttribute("data-copy"), box.querySelector(".number-text")).then(function () {
      var copied = button.getAttribute("data-copied");
      button.textContent = copied;
      if (status) {
        status.textContent = copied;
      }
      window.setTimeout(function () {
        button.textContent = label;
        if (status) {
          status.textContent = "";
        }
      }, 2000);
    }, function () {
      // Copying was refused: the number stays selected (or selectable) for the phone's own copy.
    });
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

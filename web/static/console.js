// Gatehouse admin console: copy buttons. Everything else works without
// JavaScript; without it the copy buttons stay hidden and the values can be
// selected in their read-only fields.
(function () {
  "use strict";
  function announce(text) {
    var s = document.querySelector(".copy-status");
    if (s) { s.textContent = text; }
  }
  function copied(btn) {
    var label = btn.textContent;
    btn.textContent = "Copied";
    btn.classList.add("done");
    announce("Copied to the clipboard.");
    window.setTimeout(function () { btn.textContent = label; btn.classList.remove("done"); }, 2000);
  }
  function fallback(field, btn) {
    field.focus();
    field.select();
    try {
      if (document.execCommand("copy")) { copied(btn); return; }
    } catch (e) { /* fall through */ }
    announce("Press Ctrl+C (or Cmd+C) to copy the selected text.");
  }
  function setUp() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (btn) {
      var field = document.getElementById(btn.getAttribute("data-copy"));
      if (!field) { return; }
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var text = field.value;
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(function () { copied(btn); }, function () { fallback(field, btn); });
        } else {
          fallback(field, btn);
        }
      });
    });
    // Read-only values select themselves on focus, for copying by keyboard.
    Array.prototype.forEach.call(document.querySelectorAll("input.copyable"), function (f) {
      f.addEventListener("focus", function () { f.select(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

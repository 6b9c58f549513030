// Selects marked data-auto-submit apply at once: picking an option submits their form (a GET of
// filters or a sort, so nothing changes on the server). Without JavaScript the form's own button does
// it; with it, buttons marked data-auto-submit-hide are hidden. A value stepped with the keys of a
// closed select waits for Enter, or for the button, shown again for it, so reading the options with
// the keyboard does not reload the page at each one.
(function () {
  "use strict";
  var STEP_KEYS = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"];

  function submit(form) {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  document.querySelectorAll("select[data-auto-submit]").forEach(function (select) {
    var form = select.form;
    if (!form) {
      return;
    }
    var buttons = form.querySelectorAll("[data-auto-submit-hide]");
    var stepping = false;
    buttons.forEach(function (button) { button.hidden = true; });

    select.addEventListener("keydown", function (event) {
      stepping = STEP_KEYS.indexOf(event.key) >= 0 || event.key.length === 1;
      if (event.key === "Enter" && select.dataset.pending) {
        event.preventDefault();
        submit(form);
      }
    });
    select.addEventListener("mousedown", function () { stepping = false; });
    select.addEventListener("change", function () {
      if (stepping) {
        select.dataset.pending = "true";
        buttons.forEach(function (button) { button.hidden = false; });
        return;
      }
      submit(form);
    });
  });

  // Radio groups (the product page's variant picker): a click or tap applies at once; arrow keys
  // only move the choice, and Enter or the form's button applies it (as for the selects above).
  document.querySelectorAll("form[data-auto-submit-radios]").forEach(function (form) {
    var pointing = false;
    form.addEventListener("pointerdown", function () { pointing = true; });
    form.addEventListener("keydown", function () { pointing = false; });
    form.addEventListener("change", function (event) {
      if (pointing && event.target.type === "radio") {
        submit(form);
      }
    });
  });
})();

// The review page: choosing another shipping method asks for the new total at once (the form's
// "Update total" button, which places nothing), so "Place order" always carries the total shown.
(function () {
  "use strict";
  var update = document.querySelector("button[name=action][value=update]");
  if (!update || !update.form.requestSubmit) {
    return;
  }
  document.querySelectorAll("select[data-shipping-select]").forEach(function (select) {
    select.addEventListener("change", function () {
      update.form.requestSubmit(update);
    });
  });
})();

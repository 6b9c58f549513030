// The header's search box as a combobox (WAI-ARIA 1.2, list autocomplete): typing two characters or
// more asks /products/suggest (150 ms after the last key, an older request cancelled) and lists the
// products and categories it answers under the box. Up and Down move through them, Enter follows the
// one chosen (or searches for the text when none is), Escape closes the list, a click follows one.
// A status says how many suggestions there are. Without JavaScript the box is a plain search form.
(function () {
  "use strict";
  var DELAY = 150; // ms after the last key before asking
  var MIN_LENGTH = 2;

  document.querySelectorAll("form[data-suggest-url]").forEach(function (form) {
    var input = form.querySelector("input[name=q]");
    var field = form.querySelector("[data-suggest-field]");
    if (!input || !field || !window.fetch || !window.AbortController) {
      return;
    }
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "search-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Search suggestions");
    list.hidden = true;
    // A polite live region, not role="status": the page's own status messages (a flash, a
    // suspension notice) stay the one "status" a page has.
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    status.setAttribute("aria-atomic", "true");
    status.setAttribute("data-testid", "suggestion-count");
    field.appendChild(list);
    field.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var options = []; // the <li role=option> shown, each with data-url
    var active = -1;
    var timer = null;
    var pending = null; // the AbortController of the request in flight

    function open() {
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      choose(-1);
    }

    function choose(index) {
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
      }
      active = index;
      if (active >= 0) {
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function option(text, detail, url) {
      var item = document.createElement("li");
      item.id = listId + "-" + options.length;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.dataset.url = url;
      var name = document.createElement("span");
      name.className = "search-suggestion-name";
      name.textContent = text;
      item.appendChild(name);
      if (detail) {
        var more = document.createElement("span");
        more.className = "search-suggestion-detail";
        more.textContent = detail;
        item.appendChild(more);
      }
      options.push(item);
      return item;
    }

    function show(answer) {
      list.textContent = "";
      options = [];
      active = -1;
      input.removeAttribute("aria-activedescendant");
      answer.products.forEach(function (product) {
        list.appendChild(option(product.name, "", product.url));
      });
      answer.categories.forEach(function (category) {
        list.appendChild(option(category.name, "Category in " + category.department, category.url));
      });
      var count = options.length;
      status.textContent = count
        ? count + (count === 1 ? " suggestion" : " suggestions") + ". Use the up and down arrows to choose."
        : "No suggestions.";
      if (count) {
        open();
      } else {
        close();
      }
    }

    function ask() {
      var query = input.value;
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      var mine = pending;
      fetch(form.dataset.suggestUrl + "?q=" + encodeURIComponent(query), {
        signal: mine.signal,
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          // A late answer to an older text is left alone.
          if (answer && mine === pending && input.value === query && document.activeElement === input) {
            show(answer);
          }
        })
        .catch(function () {
          // Aborted, or the network failed: the box still searches as a plain form.
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      if (input.value.trim().length < MIN_LENGTH) {
        if (pending) {
          pending.abort();
          pending = null;
        }
        list.textContent = "";
        options = [];
        status.textContent = "";
        close();
        return;
      }
      timer = setTimeout(ask, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var shown = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) {
          return;
        }
        event.preventDefault();
        if (!shown) {
          open();
          choose(event.key === "ArrowDown" ? 0 : options.length - 1);
          return;
        }
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        // Past either end: back to the text (no option chosen), then round again.
        choose(next < -1 ? options.length - 1 : next >= options.length ? -1 : next);
      } else if (event.key === "Enter") {
        if (shown && active >= 0) {
          event.preventDefault();
          window.location.assign(options[active].dataset.url);
        }
      } else if (event.key === "Escape") {
        if (shown) {
          event.preventDefault(); // a search box would also clear its text
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    // Options never take focus: pressing on one keeps it in the box, and the click follows it.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    list.addEventListener("click", function (event) {
      var item = event.target.closest("[role=option]");
      if (item) {
        window.location.assign(item.dataset.url);
      }
    });
    input.addEventListener("blur", close);
    input.addEventListener("focus", function () {
      if (input.value.trim().length >= MIN_LENGTH && options.length) {
        open();
      }
    });
  });
})();

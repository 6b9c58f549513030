// The product page's gallery (catalog/_gallery.html). Without JavaScript its thumbnails are links to
// #picture-N that scroll the row of pictures. With it: "Previous picture" and "Next picture" buttons,
// the arrow keys (and Home, End) on the pictures or the thumbnails, the current thumbnail marked
// aria-current, and a status that says which picture shows.
(function () {
  "use strict";

  document.querySelectorAll("[data-gallery]").forEach(function (gallery) {
    var main = gallery.querySelector(".gallery-main");
    var slides = Array.prototype.slice.call(gallery.querySelectorAll(".gallery-slide"));
    var links = Array.prototype.slice.call(gallery.querySelectorAll(".gallery-thumbnails a"));
    var controls = gallery.querySelector(".gallery-controls");
    var status = gallery.querySelector("[data-gallery-status]");
    var current = 0;
    var heading = null; // the picture a scroll started here is on its way to (see scrollend)
    if (slides.length < 2 || !controls) {
      return;
    }
    controls.hidden = false;

    function show(index, focusLink) {
      current = (index + slides.length) % slides.length;
      heading = current;
      main.scrollTo({ left: current * main.clientWidth, behavior: "smooth" });
      links.forEach(function (link, position) {
        if (position === current) {
          link.setAttribute("aria-current", "true");
        } else {
          link.removeAttribute("aria-current");
        }
      });
      status.textContent = "Picture " + (current + 1) + " of " + slides.length;
      if (focusLink) {
        links[current].focus();
      }
    }

    function onKey(event) {
      var steps = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: slides.length - 1 };
      if (!(event.key in steps)) {
        return;
      }
      event.preventDefault();
      show(steps[event.key], event.currentTarget !== main);
    }

    controls.querySelectorAll("[data-gallery-step]").forEach(function (button) {
      button.addEventListener("click", function () {
        show(current + Number(button.dataset.galleryStep), false);
      });
    });
    links.forEach(function (link, position) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        show(position, false);
      });
      link.addEventListener("keydown", onKey);
    });
    main.addEventListener("keydown", onKey);
    // Scrolling the row by touch or trackpad moves the current picture too. A scroll this script
    // started is left alone until it arrives: an earlier scroll's end (or a layout shift) must not
    // move the picture back. Touching the row hands it back to the person.
    ["pointerdown", "wheel", "touchstart"].forEach(function (kind) {
      main.addEventListener(kind, function () { heading = null; }, { passive: true });
    });
    main.addEventListener("scrollend", function () {
      var index = Math.round(main.scrollLeft / main.clientWidth);
      if (heading !== null) {
        if (index === heading) {
          heading = null;
        }
        return;
      }
      if (index !== current && index >= 0 && index < slides.length) {
        show(index, false);
        heading = null;
      }
    });
  });
})();

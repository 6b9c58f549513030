// Draws every <canvas data-chart="ID"> from the JSON block #ID that app/templates/analytics/_macros.html
// writes next to it (no inline script: the Content-Security-Policy forbids it). The spec comes from
// app/charts.py: type, labels, datasets [{label, data, colour}], and optional horizontal, stacked,
// money (dollar ticks), whole (whole-number ticks), minimum and maximum. The table under each chart holds the same numbers.
(function () {
  "use strict";
  if (typeof Chart === "undefined") {
    return;
  }

  var dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  var plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

  function format(spec, value) {
    return spec.money ? dollars.format(value) : plain.format(value);
  }

  function datasets(spec) {
    return spec.datasets.map(function (series) {
      var line = spec.type === "line";
      return {
        label: series.label,
        data: series.data,
        backgroundColor: series.colour,
        borderColor: spec.type === "doughnut" ? "#fff" : series.colour,
        borderWidth: line ? 2 : 1,
        pointRadius: line && series.data.length > 40 ? 0 : 3,
        tension: 0.2
      };
    });
  }

  function valueAxis(spec) {
    var axis = {
      stacked: Boolean(spec.stacked),
      beginAtZero: spec.minimum === undefined,
      ticks: { precision: spec.whole ? 0 : undefined, callback: function (value) { return format(spec, value); } }
    };
    if (spec.minimum !== undefined) { axis.min = spec.minimum; }
    if (spec.maximum !== undefined) { axis.max = spec.maximum; }
    return axis;
  }

  function options(spec) {
    var many = spec.datasets.length > 1;
    var config = {
      animation: false,
      responsive: true,
      aspectRatio: spec.type === "doughnut" ? 1.8 : (spec.horizontal ? Math.max(1, 2.4 - spec.labels.length / 12) : 2),
      plugins: {
        legend: { display: many || spec.type === "doughnut", position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (context) {
              return context.dataset.label + ": " + format(spec, context.raw);
            }
          }
        }
      }
    };
    if (spec.type !== "doughnut") {
      var category = { stacked: Boolean(spec.stacked), ticks: { autoSkip: true, maxTicksLimit: 14 } };
      config.indexAxis = spec.horizontal ? "y" : "x";
      config.scales = spec.horizontal ? { x: valueAxis(spec), y: category } : { x: category, y: valueAxis(spec) };
    }
    return config;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    new Chart(canvas, { type: spec.type, data: { labels: spec.labels, datasets: datasets(spec) }, options: options(spec) });
    canvas.dataset.drawn = "true";
  });
})();

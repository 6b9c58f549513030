// Draws every <canvas data-chart="ID"> from the JSON block #ID that app/templates/analytics/_macros.html
// writes next to it (no inline script: the Content-Security-Policy forbids it). The spec comes from
// app/charts.py: type, labels, datasets [{label, data, colour}], and optional horizontal, stacked,
// money (dollar ticks), whole (whole-number ticks), minimum and maximum, and for periods time_unit and
// times (each period's first day) to draw them on a real time axis (chartjs-adapter-date-fns).
// The table under each chart holds the same numbers and the full labels.
(function () {
  "use strict";
  if (typeof Chart === "undefined") {
    return;
  }

  var dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  var plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  // How date-fns writes a period on the axis and in the tooltip.
  var TIME_FORMATS = {
    day: { axis: "MMM d", tooltip: "MMM d, yyyy" },
    week: { axis: "MMM d", tooltip: "'Week of' MMM d, yyyy" },
    month: { axis: "MMM yyyy", tooltip: "MMM yyyy" },
    year: { axis: "yyyy", tooltip: "yyyy" }
  };

  function format(spec, value) {
    return spec.money ? dollars.format(value) : plain.format(value);
  }

  // A long category label on at most two lines of `width` characters, the rest cut with an ellipsis;
  // the tooltip and the table keep the whole text.
  function shorten(text, width) {
    var label = String(text);
    if (label.length <= width) {
      return label;
    }
    var words = label.split(" ");
    var lines = [""];
    for (var i = 0; i < words.length; i++) {
      var line = lines[lines.length - 1];
      var next = line ? line + " " + words[i] : words[i];
      if (next.length <= width || !line) {
        lines[lines.length - 1] = next;
      } else if (lines.length < 2) {
        lines.push(words[i]);
      } else {
        lines[1] = line + " " + words.slice(i).join(" ");
        break;
      }
    }
    return lines.map(function (part) {
      return part.length > width ? part.slice(0, width - 1).trimEnd() + "…" : part;
    });
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

  function labelAxis(spec) {
    if (spec.time_unit) {
      var formats = TIME_FORMATS[spec.time_unit];
      var displayFormats = {};
      displayFormats[spec.time_unit] = formats.axis;
      return {
        type: "time",
        stacked: Boolean(spec.stacked),
        offset: spec.type === "bar",
        time: { unit: spec.time_unit, isoWeekday: true, tooltipFormat: formats.tooltip, displayFormats: displayFormats },
        ticks: { autoSkip: true, maxTicksLimit: 12, maxRotation: 0 }
      };
    }
    return {
      stacked: Boolean(spec.stacked),
      ticks: {
        autoSkip: true,
        maxTicksLimit: 14,
        // About a third of the chart's width for a horizontal bar's label; a fixed width under a column.
        callback: function (value) {
          var width = spec.horizontal ? Math.max(12, Math.floor(this.chart.width / 3 / 7)) : 16;
          return shorten(this.getLabelForValue(value), width);
        }
      }
    };
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
    if (spec.type === "doughnut") {
      // A legend entry per slice: long names are cut there too (the tooltip has them whole).
      config.plugins.legend.labels = {
        generateLabels: function (chart) {
          return Chart.overrides.doughnut.plugins.legend.labels.generateLabels(chart).map(function (item) {
            if (item.text.length > 28) {
              item.text = item.text.slice(0, 27).trimEnd() + "…";
            }
            return item;
          });
        }
      };
    } else {
      config.indexAxis = spec.horizontal ? "y" : "x";
      config.scales = spec.horizontal ? { x: valueAxis(spec), y: labelAxis(spec) } : { x: labelAxis(spec), y: valueAxis(spec) };
    }
    return config;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var labels = spec.time_unit ? spec.times : spec.labels;
    new Chart(canvas, { type: spec.type, data: { labels: labels, datasets: datasets(spec) }, options: options(spec) });
    canvas.dataset.drawn = "true";
  });
})();

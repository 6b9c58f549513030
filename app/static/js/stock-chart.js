// Draws the stock-over-time chart of a seller's offer page on a real time axis (chartjs-adapter-date-fns):
// a step at each change, the last one drawn on to now. The numbers come from the JSON block
// #stock-chart-data (no inline script: the Content-Security-Policy forbids it); times are wall-clock
// times in the seller's chosen zone, shown as they are.
(function () {
  "use strict";
  var canvas = document.getElementById("stock-chart");
  var source = document.getElementById("stock-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var points = data.times.map(function (time, index) {
    return { x: time, y: data.values[index] };
  });
  if (points.length && data.now > points[points.length - 1].x) {
    points.push({ x: data.now, y: data.values[data.values.length - 1] });
  }
  new Chart(canvas, {
    type: "line",
    data: {
      datasets: [{
        label: "Stock",
        data: points,
        stepped: "after",
        borderColor: "#0d6efd",
        backgroundColor: "rgba(13, 110, 253, 0.1)",
        fill: true,
        pointRadius: points.length > 60 ? 0 : 3
      }]
    },
    options: {
      animation: false,
      aspectRatio: 2.5,
      parsing: true,
      scales: {
        x: {
          type: "time",
          time: {
            tooltipFormat: "MMM d, yyyy HH:mm",
            displayFormats: { second: "HH:mm:ss", minute: "HH:mm", hour: "MMM d HH:mm", day: "MMM d", week: "MMM d", month: "MMM yyyy", quarter: "MMM yyyy", year: "yyyy" }
          }, ticks: { maxTicksLimit: 8, autoSkip: true, maxRotation: 0 } },
        y: { beginAtZero: true, ticks: { precision: 0 } }
      },
      plugins: { legend: { display: false } }
    }
  });
})();

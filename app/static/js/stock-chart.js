// Draws the stock-over-time line chart of a seller's offer page. The numbers come from the
// JSON block #stock-chart-data (no inline script: the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var canvas = document.getElementById("stock-chart");
  var source = document.getElementById("stock-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [{
        label: "Stock",
        data: data.values,
        stepped: true,
        borderColor: "#0d6efd",
        backgroundColor: "rgba(13, 110, 253, 0.1)",
        fill: true,
        pointRadius: data.values.length > 60 ? 0 : 3
      }]
    },
    options: {
      animation: false,
      aspectRatio: 2.5,
      scales: {
        x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
        y: { beginAtZero: true, ticks: { precision: 0 } }
      },
      plugins: { legend: { display: false } }
    }
  });
})();

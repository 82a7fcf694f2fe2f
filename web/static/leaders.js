// A leader's influence by month (Chart.js from npm), from the canvas's data-leader-chart attribute.
(function () {
  "use strict";
  var LANG = document.documentElement.lang || undefined;
  function draw() {
    var el = document.querySelector("canvas[data-leader-chart]");
    if (!el || typeof Chart === "undefined" || Chart.getChart(el)) return;
    var d = JSON.parse(el.getAttribute("data-leader-chart"));
    var labels = d.labels.map(function (m) {
      return new Date(m + "-01T00:00:00Z").toLocaleDateString(LANG, {month: "short", year: "2-digit", timeZone: "UTC"});
    });
    new Chart(el, {
      type: "bar",
      data: {labels: labels, datasets: [
        {label: d.people_label, data: d.people, backgroundColor: "#4f46e5", yAxisID: "y"},
        {label: d.interactions_label, data: d.interactions, type: "line", borderColor: "#f59e0b",
         backgroundColor: "#f59e0b", tension: 0, yAxisID: "y"}]},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
                plugins: {legend: {position: "bottom"}},
                scales: {x: {ticks: {maxRotation: 0, autoSkip: true, autoSkipPadding: 8}},   // level months, as many as fit
                         y: {beginAtZero: true, ticks: {precision: 0}}}}
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();

// The event report's charts (Chart.js, as the dashboard): attendees by stage before the event, and the mean change
// in engagement score of attendees against comparable members. Data from the page's data-report attribute.
(function () {
  "use strict";
  var STAGE_COLOURS = ["#c7cbe0", "#93c5fd", "#4f46e5", "#15803d", "#f59e0b", "#94a3b8"];
  function draw() {
    var el = document.getElementById("report-data");
    if (!el || typeof Chart === "undefined") return;
    var d = JSON.parse(el.getAttribute("data-report"));
    Chart.defaults.locale = document.documentElement.lang || undefined;
    var common = { responsive: true, maintainAspectRatio: false, animation: false };
    var stages = document.querySelector('[data-chart="stages"]');
    if (stages && !Chart.getChart(stages)) {
      new Chart(stages, { type: "bar", data: { labels: d.stage_names, datasets: [{ label: d.text.members,
          data: d.stage_counts, backgroundColor: STAGE_COLOURS }] },
        options: Object.assign({}, common, { plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }) });
    }
    var effect = document.querySelector('[data-chart="effect"]');
    if (effect && !Chart.getChart(effect)) {
      var labels = d.horizons.map(function (n) { return d.text.days.replace("{n}", n); });
      var side = function (i) { return d.score.map(function (s) { return s ? s[i] : null; }); };
      new Chart(effect, { type: "bar", data: { labels: labels, datasets: [
          { label: d.text.attendees, data: side(0), backgroundColor: "#4f46e5" },
          { label: d.text.others, data: side(1), backgroundColor: "#c7cbe0" }] },
        options: common });
    }
  }
  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("load", draw);
})();

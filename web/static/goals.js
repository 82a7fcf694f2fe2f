// The goal page's chart (Chart.js, as the dashboard): the KPI day by day, the target line along the even pace,
// and the projection to the due date drawn dashed. Data from the page's data-goal attribute.
(function () {
  "use strict";
  var LANG = document.documentElement.lang || undefined;
  function day(s) { return new Date(s + "T00:00:00Z").toLocaleDateString(LANG, { day: "numeric", month: "short", timeZone: "UTC" }); }
  function num(d, v) {
    if (v === null || v === undefined) return "—";
    var s = v.toLocaleString(LANG, { maximumFractionDigits: 1 });
    return d.unit === "percent" ? s + "\u00a0%" : s;
  }
  function draw() {
    var el = document.getElementById("goal-data");
    var canvas = document.querySelector('[data-chart="goal"]');
    if (!el || !canvas || typeof Chart === "undefined" || Chart.getChart(canvas)) return;
    var d = JSON.parse(el.getAttribute("data-goal"));
    new Chart(canvas, {
      type: "line",
      data: { labels: d.labels, datasets: [
        { label: d.text.current, data: d.current, borderColor: "#4f46e5", backgroundColor: "#4f46e5",
          pointRadius: 0, borderWidth: 2, spanGaps: false },
        { label: d.text.target, data: d.target, borderColor: "#94a3b8", backgroundColor: "#94a3b8",
          pointRadius: 0, borderWidth: 1.5 },
        { label: d.text.projection, data: d.projection, borderColor: "#f59e0b", backgroundColor: "#f59e0b",
          borderDash: [6, 4], pointRadius: 0, borderWidth: 2 }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { tooltip: { callbacks: {
          title: function (items) { return items.length ? day(d.labels[items[0].dataIndex]) : ""; },
          label: function (item) { return item.dataset.label + ": " + num(d, item.raw); } } } },
        scales: {
          x: { ticks: { maxTicksLimit: 8, autoSkip: true, maxRotation: 0,
                        callback: function (v) { return day(d.labels[v]); } } },
          y: { ticks: { callback: function (v) { return num(d, v); } } } }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("load", draw);
})();

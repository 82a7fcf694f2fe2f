// Organisation dashboard charts (Chart.js from npm). Data comes from the page's JSON block, so the charts are
// redrawn whenever htmx swaps the panels in again (after a recompute).
(function () {
  "use strict";
  var charts = [];
  var STAGE_COLOURS = ["#c7cbe0", "#93c5fd", "#4f46e5", "#15803d", "#f59e0b"];
  var PALETTE = ["#4f46e5", "#0ea5e9", "#15803d", "#f59e0b", "#dc2626", "#8b5cf6", "#14b8a6", "#64748b",
                 "#ec4899", "#84cc16", "#f97316", "#0f766e", "#a855f7", "#eab308", "#334155"];

  function draw() {
    var node = document.getElementById("dash-data");
    if (!node || typeof Chart === "undefined") return;
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    var d = JSON.parse(node.getAttribute("data-dash"));  // an attribute: htmx swaps it in with the panels
    var common = { responsive: true, maintainAspectRatio: false, animation: false,
                   plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } };
    // Canvases carry no id on purpose: htmx would copy Chart.js's style attribute onto the swapped-in
    // canvas with the same id, which the CSP (no inline styles) refuses.
    function add(name, config) {
      var el = document.querySelector('[data-chart="' + name + '"]');
      if (el) charts.push(new Chart(el, config));
    }
    add("active", { type: "line", data: { labels: d.labels, datasets: [
        { label: d.text.active, data: d.dau, borderColor: "#4f46e5", backgroundColor: "rgba(79,70,229,.12)",
          fill: true, pointRadius: 0, tension: 0.25 }] },
      options: Object.assign({}, common, { scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true } } }) });
    // Series come as [label, value] pairs, in stage order (newcomer → advocate) or by size.
    if (d.stage_days.length > 1) {
      add("stages", { type: "line", data: { labels: d.stage_days, datasets: d.stages.map(function (p, i) {
          return { label: p[0], data: p[1], borderColor: STAGE_COLOURS[i], backgroundColor: STAGE_COLOURS[i],
                   fill: true, pointRadius: 0 }; }) },
        options: Object.assign({}, common, { scales: { y: { stacked: true, beginAtZero: true } } }) });
    } else {
      add("stages", { type: "bar", data: { labels: d.stage_now.map(function (p) { return p[0]; }), datasets: [
          { label: d.text.members, data: d.stage_now.map(function (p) { return p[1]; }),
            backgroundColor: STAGE_COLOURS }] },
        options: Object.assign({}, common, { plugins: { legend: { display: false } } }) });
    }
    function bars(name, pairs) {
      add(name, { type: "bar", data: { labels: pairs.map(function (p) { return p[0]; }), datasets: [{
          label: d.text.activities, data: pairs.map(function (p) { return p[1]; }),
          backgroundColor: PALETTE.slice(0, pairs.length) }] },
        options: Object.assign({}, common, { indexAxis: "y", plugins: { legend: { display: false } } }) });
    }
    bars("types", d.types);
    bars("channels", d.channels);
  }

  document.addEventListener("DOMContentLoaded", draw);
  // After htmx swaps the panels in (a recompute finished), their fresh canvases have no chart yet.
  document.addEventListener("htmx:afterSettle", function () {
    var el = document.querySelector('[data-chart="active"]');
    if (el && typeof Chart !== "undefined" && !Chart.getChart(el)) draw();
  });
  window.addEventListener("load", draw);
})();

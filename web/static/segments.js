// A segment's size over time (Chart.js from npm); the data comes from the page's data-trend attribute.
(function () {
  "use strict";
  var LANG = document.documentElement.lang || undefined;
  function draw() {
    var node = document.getElementById("segment-trend");
    var canvas = document.querySelector("canvas[data-chart=segment-trend]");
    if (!node || !canvas || !window.Chart || canvas.dataset.drawn) return;
    var d = JSON.parse(node.getAttribute("data-trend"));
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: "line",
      data: { labels: d.labels, datasets: [{ label: d.label, data: d.sizes, borderColor: "#4f46e5",
        backgroundColor: "rgba(79,70,229,0.12)", fill: true, tension: 0.2, pointRadius: d.sizes.length > 40 ? 0 : 3 }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { x: { ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },   // level dates, as many as fit
          y: { beginAtZero: true, ticks: { precision: 0, callback: function (v) { return v.toLocaleString(LANG); } } } } }
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();

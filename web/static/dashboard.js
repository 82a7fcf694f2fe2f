// Organisation dashboard charts (Chart.js and chartjs-chart-matrix from npm). Data comes from the page's
// data-dash attribute, so the charts are redrawn whenever htmx swaps the panels in again (after a recompute).
// Every point that stands for members links to them: a click opens the members list filtered to that set.
(function () {
  "use strict";
  var charts = [];
  // Numbers as the page's language writes them ("2 879" in Russian), not as the browser's locale would.
  var LANG = document.documentElement.lang || undefined;
  function fmt(n) { return n.toLocaleString(LANG); }
  var STAGES = ["newcomer", "participant", "active", "loyal", "advocate"];
  var STAGE_COLOURS = ["#c7cbe0", "#93c5fd", "#4f46e5", "#15803d", "#f59e0b"];
  var PALETTE = ["#4f46e5", "#0ea5e9", "#15803d", "#f59e0b", "#dc2626", "#8b5cf6", "#14b8a6", "#64748b",
                 "#ec4899", "#84cc16", "#f97316", "#0f766e", "#a855f7", "#eab308", "#334155"];

  function iso(d) { return d.toISOString().slice(0, 10); }
  // A day ("2026-11-06") as the page's language writes it on an axis: "6 Nov", "6 нояб.".
  function dayLabel(s) {
    return new Date(s + "T00:00:00Z").toLocaleDateString(LANG, { day: "numeric", month: "short", timeZone: "UTC" });
  }
  function addDays(s, n) { var d = new Date(s + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + n); return iso(d); }
  function monthCode(m) { var y = Math.floor(m / 12), n = m % 12 + 1; return y + "-" + (n < 10 ? "0" : "") + n; }
  function monthFirst(m) { return monthCode(m) + "-01"; }
  function monthLast(m) { return iso(new Date(Date.UTC(Math.floor(m / 12), m % 12 + 1, 0))); }

  function link(d, params) {
    if (!d.members_url) return null;
    var q = Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    return d.members_url + (d.members_url.indexOf("?") < 0 ? "?" : "&") + q;
  }

  // Clicking a point follows its href (points carry one when they stand for members).
  function clickable(hrefOf) {
    return {
      onClick: function (evt, elements, chart) {
        if (!elements.length) return;
        var href = hrefOf(chart, elements[0]);
        if (href) window.location.href = href;
      },
      onHover: function (evt, elements, chart) {
        chart.canvas.style.cursor = elements.length && hrefOf(chart, elements[0]) ? "pointer" : "default";
      }
    };
  }

  // Numbers inside matrix cells (the plugin draws rectangles only).
  var cellText = {
    id: "cellText",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, data = chart.data.datasets[0].data;
      chart.getDatasetMeta(0).data.forEach(function (el, i) {
        var p = data[i], c = el.getCenterPoint();
        if (!p.text) return;
        ctx.save();
        ctx.font = "12px system-ui, sans-serif";
        if (ctx.measureText(p.text).width > el.width - 4) { ctx.restore(); return; }  // a narrow screen: colour only
        ctx.fillStyle = p.dark ? "#fff" : "#1f2937";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillText(p.text, c.x, c.y);
        ctx.restore();
      });
    }
  };

  function matrix(el, cols, rows, points, tooltip, onClick, axes) {
    axes = axes || {};
    return new Chart(el, {
      type: "matrix",
      data: { datasets: [{ data: points, borderWidth: 1, borderColor: "#fff",
        backgroundColor: function (ctx) { var p = ctx.dataset.data[ctx.dataIndex]; return p ? p.colour : "#fff"; },
        width: function (ctx) { var a = ctx.chart.chartArea; return a ? a.width / cols.length - 2 : 0; },
        height: function (ctx) { var a = ctx.chart.chartArea; return a ? a.height / rows.length - 2 : 0; } }] },
      options: Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: function () { return ""; },
          label: function (ctx) { return tooltip(ctx.raw); } } } },
        scales: {
          x: { type: "category", labels: cols, offset: true, grid: { display: false }, position: "top",
               title: { display: !!axes.x, text: axes.x || "" }, ticks: { autoSkip: false } },  // tilted if they do not fit
          y: { type: "category", labels: rows, offset: true, grid: { display: false },
               title: { display: !!axes.y, text: axes.y || "" } } } }, onClick),
      plugins: [cellText]
    });
  }

  function shade(rgb, share) {
    var a = share <= 0 ? 0.04 : 0.15 + 0.85 * Math.min(1, share);
    return { colour: "rgba(" + rgb + "," + a.toFixed(3) + ")", dark: a > 0.55 };
  }

  function movement(d, el, summaryEl, index) {
    var m = d.monthly, month = m.months[index], cells = m.movement[String(month)] || [];
    var stageName = function (s) { return s ? d.stage_names[s] : d.text.joined; };
    var rows = [null].concat(STAGES), cols = STAGES;
    var counts = {}, max = 0, up = 0, held = 0, down = 0, joined = 0;
    cells.forEach(function (c) {
      counts[(c[0] || "") + ">" + c[1]] = c[2];
      if (c[0] === null) joined += c[2];
      else if (STAGES.indexOf(c[1]) > STAGES.indexOf(c[0])) up += c[2];
      else if (STAGES.indexOf(c[1]) < STAGES.indexOf(c[0])) down += c[2];
      else held += c[2];
      if (c[0] !== c[1]) max = Math.max(max, c[2]);
    });
    var points = [];
    rows.forEach(function (from) {
      cols.forEach(function (to) {
        var n = counts[(from || "") + ">" + to] || 0;
        var rgb = from === to ? "100,116,139" : (from === null ? "14,165,233" :
                  (STAGES.indexOf(to) > STAGES.indexOf(from) ? "21,128,61" : "220,38,38"));
        var s = shade(rgb, max ? n / max : 0);
        points.push({ x: stageName(to), y: stageName(from), v: n, text: n ? fmt(n) : "", colour: s.colour,
                      dark: s.dark && from !== to, href: n ? link(d, { month: monthCode(month), to_stage: to,
                      from_stage: from || "none" }) : null });
      });
    });
    charts.push(matrix(el, cols.map(stageName), rows.map(stageName), points, function (p) {
      return p.y + " → " + p.x + ": " + p.v; }, clickable(function (chart, e) {
        return chart.data.datasets[0].data[e.index].href; }), { x: d.text.to, y: d.text.from }));
    // The summary line: moved up / held / moved down / joined, each a link to its members.
    summaryEl.textContent = "";
    [[d.text.up, up], [d.text.held, held], [d.text.down, down], [d.text.new, joined]].forEach(function (part, i) {
      if (i) summaryEl.appendChild(document.createTextNode(" · "));
      var strong = document.createElement("strong");
      strong.textContent = fmt(part[1]);
      summaryEl.appendChild(strong);
      summaryEl.appendChild(document.createTextNode(" " + part[0]));
    });
  }

  function cohorts(d, el) {
    var m = d.monthly, first = m.months[0], span = m.months.length;
    var cols = [], rows = [], points = [];
    for (var k = 0; k < span; k++) cols.push(String(k));
    m.cohorts.forEach(function (c) {
      var label = d.month_names[c[0] - first] + " (" + fmt(c[1]) + ")";
      rows.push(label);
      c[2].forEach(function (n, k) {
        var share = c[1] ? n / c[1] : 0, s = shade("79,70,229", share);
        points.push({ x: cols[k], y: label, v: n, size: c[1], text: Math.round(100 * share) + "%",
          colour: s.colour, dark: s.dark,
          href: n ? link(d, { seen_from: monthFirst(c[0]), seen_to: monthLast(c[0]),
                              active_from: monthFirst(c[0] + k), active_to: monthLast(c[0] + k) }) : null });
      });
    });
    charts.push(matrix(el, cols, rows, points, function (p) {
      return p.y + ", " + d.text.month_n.replace("{n}", p.x) + ": " + p.v + " / " + p.size + " " + d.text.retained; },
      clickable(function (chart, e) { return chart.data.datasets[0].data[e.index].href; }), { x: d.text.since }));
  }

  function draw() {
    var node = document.getElementById("dash-data");
    if (!node || typeof Chart === "undefined") return;
    Chart.defaults.locale = LANG;   // axis and tooltip numbers
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    var d = JSON.parse(node.getAttribute("data-dash"));  // an attribute: htmx swaps it in with the panels
    var common = { responsive: true, maintainAspectRatio: false, animation: false,
                   plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } };
    // Canvases carry no id on purpose: htmx would copy Chart.js's style attribute onto the swapped-in
    // canvas with the same id, which the CSP (no inline styles) refuses.
    function canvas(name) { return document.querySelector('[data-chart="' + name + '"]'); }
    function add(name, config) { var el = canvas(name); if (el) charts.push(new Chart(el, config)); }

    // DAU, WAU, MAU: a point links to the members active on that day, or in the 7 or 30 days up to it.
    var windows = [1, 7, 30];
    add("active", { type: "line", data: { labels: d.labels, datasets: [
        { label: d.text.dau, data: d.dau, borderColor: "#4f46e5", backgroundColor: "rgba(79,70,229,.12)",
          fill: true, pointRadius: 0, tension: 0.25 },
        { label: d.text.wau, data: d.wau, borderColor: "#0ea5e9", pointRadius: 0, tension: 0.25 },
        { label: d.text.mau, data: d.mau, borderColor: "#15803d", pointRadius: 0, tension: 0.25 }] },
      options: Object.assign({}, common, { interaction: { mode: "nearest", intersect: false },
        scales: { x: { ticks: { maxTicksLimit: 8, callback: function (v) { return dayLabel(d.labels[v]); } } },
                  y: { beginAtZero: true } },
        plugins: Object.assign({}, common.plugins, { tooltip: { callbacks: {
          title: function (items) { return dayLabel(d.labels[items[0].dataIndex]); } } } }) },
        clickable(function (chart, e) {
          var day = d.labels[e.index];
          return link(d, { active_from: addDays(day, 1 - windows[e.datasetIndex]), active_to: day }); })) });

    var m = d.monthly;
    if (m) {
      // Stage distribution at each month's end; a bar links to the members in that stage then.
      add("stages", { type: "bar", data: { labels: d.month_names, datasets: STAGES.map(function (s, i) {
          return { label: d.stage_names[s], data: m.stages[s], backgroundColor: STAGE_COLOURS[i] }; }) },
        options: Object.assign({}, common, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
          clickable(function (chart, e) {
            return link(d, { month: monthCode(m.months[e.index]), to_stage: STAGES[e.datasetIndex] }); })) });
      var select = document.querySelector("[data-movement-month]"), mv = canvas("movement");
      var summaryEl = document.querySelector("[data-movement-summary]");
      if (mv && select && m.months.length > 1) {
        var redraw = function () {
          var old = Chart.getChart(mv);
          if (old) { charts.splice(charts.indexOf(old), 1); old.destroy(); }
          movement(d, mv, summaryEl, parseInt(select.value, 10));
        };
        select.onchange = redraw;
        redraw();
      }
      if (canvas("cohorts")) cohorts(d, canvas("cohorts"));
      // NPS of the months with enough answers (d.nps.scores is null elsewhere: a gap, not a guess); the tooltip
      // says how many answers each point stands on.
      if (canvas("nps")) {
        add("nps", { type: "line", data: { labels: d.month_names, datasets: [{ label: d.text.nps,
            data: d.nps.scores, borderColor: "#15803d", backgroundColor: "#15803d", pointRadius: 3,
            spanGaps: false }] },
          options: Object.assign({}, common, { scales: { y: { suggestedMin: -100, suggestedMax: 100 } },
            plugins: { legend: { display: false }, tooltip: { callbacks: { afterLabel: function (ctx) {
              return d.nps_answers[ctx.dataIndex]; } } } } }) });
      }
    }
    // A bar links to the members who did that kind of activity, or were active on that channel, in the period.
    function bars(name, pairs, codes, param) {
      add(name, { type: "bar", data: { labels: pairs.map(function (p) { return p[0]; }), datasets: [{
          label: d.text.activities, data: pairs.map(function (p) { return p[1]; }),
          backgroundColor: PALETTE.slice(0, pairs.length) }] },
        options: Object.assign({}, common, { indexAxis: "y", plugins: { legend: { display: false } },
          scales: { y: { ticks: { autoSkip: false, callback: function (v) {
            // On a phone the axis gets at most half the width: shorten long names (the tooltip has them whole).
            var l = this.getLabelForValue(v);
            return this.chart.width < 420 && l.length > 18 ? l.slice(0, 17) + "…" : l; } } } } },
          clickable(function (chart, e) {
            var q = { active_from: d.labels[0], active_to: d.labels[d.labels.length - 1] };
            q[param] = codes[e.index];
            return link(d, q); })) });
    }
    // NPS of each of the latest events (a gap where nobody answered its survey).
    if (d.events_nps && canvas("events-nps")) {
      add("events-nps", { type: "bar", data: { labels: d.events_nps.labels, datasets: [{ label: d.text.nps,
          data: d.events_nps.scores, backgroundColor: "#15803d" }] },
        options: Object.assign({}, common, { plugins: { legend: { display: false } },
          scales: { x: { ticks: { callback: function (v) { var l = this.getLabelForValue(v);
            return l.length > 14 ? l.slice(0, 13) + "…" : l; } } }, y: { suggestedMin: -100, suggestedMax: 100 } } }) });
    }
    bars("types", d.types, d.type_codes, "activity_type");
    bars("channels", d.channels, d.channel_codes, "activity_channel");
  }

  document.addEventListener("DOMContentLoaded", draw);
  // After htmx swaps the panels in (a recompute finished), their fresh canvases have no chart yet.
  document.addEventListener("htmx:afterSettle", function () {
    var el = document.querySelector('[data-chart="active"]');
    if (el && typeof Chart !== "undefined" && !Chart.getChart(el)) draw();
  });
  window.addEventListener("load", draw);
})();

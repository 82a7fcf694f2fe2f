// The influence network (Cytoscape.js from npm): the page's [data-network] element names the graph's JSON URL.
// Nodes are coloured by stage (the dashboard's colours), sized by influence (the raw score, relative to the
// top member's: the percentiles of the few hundred shown are all in the top tenth); leaders wear a dark ring.
// Tapping a node opens the member's profile. The instance is window.communaNetwork, for the browser tests.
(function () {
  "use strict";
  var STAGES = ["newcomer", "participant", "active", "loyal", "advocate"];
  var STAGE_COLOURS = ["#c7cbe0", "#93c5fd", "#4f46e5", "#15803d", "#f59e0b"];
  var LABELLED = 8;      // the most influential members show their names; the others on hover

  function colour(stage) {
    var i = STAGES.indexOf(stage);
    return i < 0 ? "#e5e7eb" : STAGE_COLOURS[i];
  }

  function elements(data) {
    var maxWeight = 1, maxRaw = 0, out = [];
    data.edges.forEach(function (e) { maxWeight = Math.max(maxWeight, e.weight); });
    data.nodes.forEach(function (n) { maxRaw = Math.max(maxRaw, n.influence_raw); });
    data.nodes.forEach(function (n, i) {
      out.push({ group: "nodes", classes: (n.leader || i < LABELLED) ? "named" : "", data: { id: n.id, label: n.label, url: n.url, leader: n.leader,
        colour: colour(n.stage), size: 8 + 30 * Math.sqrt(maxRaw > 0 ? Math.max(n.influence_raw, 0) / maxRaw : 0),
        caption: (n.leader || i < LABELLED) ? n.label : "" } });
    });
    data.edges.forEach(function (e, i) {
      out.push({ group: "edges", data: { id: "e" + i, source: e.source, target: e.target, weight: e.weight,
        width: 1 + 4 * Math.log(e.weight) / Math.log(maxWeight + 1) } });
    });
    return out;
  }

  var STYLE = [
    { selector: "node", style: { "background-color": "data(colour)", width: "data(size)", height: "data(size)",
      label: "data(caption)", "font-size": 10, color: "#1f2937", "text-valign": "bottom", "text-margin-y": 3,
      "text-outline-color": "#fff", "text-outline-width": 2, "border-width": 1, "border-color": "#fff" } },
    { selector: "node[?leader]", style: { "border-width": 4, "border-color": "#111827", "font-weight": "bold" } },
    { selector: "node.named", style: { "z-index": 5, "font-size": 11 } },
    { selector: "node.hover", style: { label: "data(label)", "z-index": 10 } },
    { selector: "edge", style: { width: "data(width)", "line-color": "#9aa3b8", opacity: 0.45,
      "curve-style": "haystack" } }
  ];

  function draw(el, data) {
    var summary = document.querySelector("[data-network-summary]");
    if (summary) summary.textContent = data.text.summary;
    if (!data.nodes.length) {
      el.classList.add("network-empty");
      el.textContent = data.text.empty;
      return;
    }
    var cy = cytoscape({ container: el, elements: elements(data), style: STYLE, minZoom: 0.2, maxZoom: 4,
      layout: { name: "cose", animate: false, padding: 12, numIter: 600, nodeDimensionsIncludeLabels: true,
        componentSpacing: 60,     // members with no connection keep their names apart
        nodeRepulsion: function () { return 6000; },
        idealEdgeLength: function () { return 48; }, edgeElasticity: function () { return 60; }, gravity: 40 } });
    cy.on("tap", "node", function (evt) { window.location.href = evt.target.data("url"); });
    cy.on("mouseover", "node", function (evt) { evt.target.addClass("hover"); el.style.cursor = "pointer"; });
    cy.on("mouseout", "node", function (evt) { evt.target.removeClass("hover"); el.style.cursor = ""; });
    window.addEventListener("resize", function () { cy.resize(); cy.fit(undefined, 12); });
    window.communaNetwork = cy;
    el.setAttribute("data-ready", "true");
  }

  function start() {
    var el = document.querySelector("[data-network]");
    if (!el || el.getAttribute("data-started") || typeof cytoscape === "undefined") return;
    el.setAttribute("data-started", "true");
    // Cytoscape adds an inline <style> to <head> unless an element with this id is there; the CSP refuses inline
    // styles, and app.css carries its one rule (.__________cytoscape_container { position: relative }).
    if (!document.getElementById("__________cytoscape_stylesheet")) {
      var marker = document.createElement("meta");
      marker.id = "__________cytoscape_stylesheet";
      document.head.appendChild(marker);
    }
    fetch(el.getAttribute("data-network"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { draw(el, data); })
      .catch(function () { el.classList.add("network-empty"); el.textContent = "—"; });
  }

  document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("load", start);
})();

// The check-in page: the QR scanner (ZXing, loaded on the first "Scan"), the typed ticket form, the outcome panel.
// Without a camera, or without permission, everything works by typing.
(function () {
  "use strict";
  var controls = null;
  var last = "", lastAt = 0;

  function one(selector) { return document.querySelector(selector); }
  function say(text) { var el = one("[data-scan-status]"); if (el) el.textContent = text || ""; }

  function stop() {
    if (controls) { controls.stop(); controls = null; }
    var box = one("[data-scanner]"), start = one("[data-scan-start]");
    if (box) box.hidden = true;
    if (start) start.hidden = false;
  }

  // A code held in front of the camera is read many times a second: one check-in per code per few seconds.
  function scanned(text) {
    var now = Date.now();
    if (text === last && now - lastAt < 4000) return;
    last = text; lastAt = now;
    var form = one("[data-ticket-form]");
    form.querySelector("[name=ticket]").value = text;
    if (navigator.vibrate) navigator.vibrate(60);
    form.requestSubmit();
  }

  function library(src) {
    return new Promise(function (resolve, reject) {
      if (window.ZXingBrowser) { resolve(); return; }
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function start(button) {
    var box = one("[data-scanner]");
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(button.dataset.noCamera);
      one("[name=ticket]").focus();
      return;
    }
    say(button.dataset.starting);
    library(button.dataset.library).then(function () {
      var reader = new window.ZXingBrowser.BrowserQRCodeReader(undefined, { delayBetweenScanAttempts: 150 });
      box.hidden = false;
      button.hidden = true;
      return reader.decodeFromConstraints({ video: { facingMode: "environment" } }, box.querySelector("video"),
        function (result) { if (result) scanned(result.getText()); });
    }).then(function (c) {
      controls = c;
      say(button.dataset.ready);
    }).catch(function (err) {
      stop();
      say(err && err.name === "NotAllowedError" ? button.dataset.denied : button.dataset.noCamera);
    });
  }

  document.addEventListener("click", function (evt) {
    var target = evt.target.closest("[data-scan-start], [data-scan-stop], [data-dismiss]");
    if (!target) return;
    if (target.matches("[data-scan-start]")) start(target);
    else if (target.matches("[data-scan-stop]")) { stop(); say(""); }
    else target.closest(".toast").remove();
  });

  // A ticket that checked someone in is cleared for the next one; a wrong one stays to be corrected.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (form.matches && form.matches("[data-ticket-form]") && evt.detail.xhr.status === 200) form.reset();
  });

  // The camera is let go when the page is left or hidden (the phone locked, another app opened).
  document.addEventListener("visibilitychange", function () { if (document.hidden) stop(); });
  window.addEventListener("pagehide", stop);
})();

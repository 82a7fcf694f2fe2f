// Communa's app-wide script (CSP forbids inline scripts; pages with charts or scanners load their own). Progressive
// enhancement only.
(function () {
  "use strict";

  // In role forms, the organisation picker matters only for managers and clients.
  function syncRoleForms(root) {
    root.querySelectorAll("form[data-role-form]").forEach(function (form) {
      var select = form.querySelector("[data-role-select]");
      var picker = form.querySelector(".org-picker");
      if (!select || !picker) return;
      var apply = function () {
        var role = select.value;
        picker.hidden = !(role === "manager" || role === "client");
        picker.classList.toggle("single", role === "client");
      };
      select.addEventListener("change", apply);
      apply();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { syncRoleForms(document); });
  document.addEventListener("htmx:load", function (evt) { syncRoleForms(evt.target); });

  // The phone menu: the top bar's button shows and hides the sidebar; Escape closes it.
  function setMenu(open) {
    var shell = document.querySelector(".app-shell");
    var button = document.querySelector("[data-menu-toggle]");
    if (!shell || !button) return;
    shell.classList.toggle("nav-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("click", function (evt) {
    if (evt.target.closest("[data-menu-toggle]")) {
      setMenu(!document.querySelector(".app-shell.nav-open"));
    }
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") setMenu(false);
  });

  // Close open switchers when clicking elsewhere.
  document.addEventListener("click", function (evt) {
    document.querySelectorAll("details.switcher[open]").forEach(function (d) {
      if (!d.contains(evt.target)) d.removeAttribute("open");
    });
  });
})();

// A failed htmx request must not fail silently: show the server's error page text in a banner.
document.addEventListener("htmx:responseError", function (evt) {
  var main = document.querySelector(".main, .plain-main, .auth-card");
  if (!main) return;
  var status = evt.detail.xhr.status;
  if (status === 422) return; // validation errors come back as fragments and are swapped in
  var box = document.createElement("div");
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  var doc = new DOMParser().parseFromString(evt.detail.xhr.responseText || "", "text/html");
  var title = doc.querySelector("h1");
  var message = doc.querySelector("h1 + p");   // what to do about it ("Nothing was started; try again shortly.")
  var strong = document.createElement("strong");
  strong.textContent = (title ? title.textContent : "Error") + " (" + status + ")";
  box.appendChild(strong);
  if (message) box.appendChild(document.createTextNode(" " + message.textContent));
  main.prepend(box);
});

// Member list and duplicates: "select all" and bulk export (a file download, so a plain form post, not htmx).
document.addEventListener("change", function (evt) {
  if (evt.target.matches("[data-select-all]")) {
    var form = evt.target.closest("form");
    form.querySelectorAll("input[name=ids], input[name=group]").forEach(function (box) { box.checked = evt.target.checked; });
  }
});
document.addEventListener("htmx:confirm", function (evt) {
  var form = evt.target;
  if (form.id === "bulk" && form.querySelector("select[name=action]").value === "export") {
    evt.preventDefault();
    form.submit();
  }
});

// Events: the form's host and speaker picker (search results from the server, picked members as chips with
// hidden inputs) and a new event's time zone guessed from the browser. Progressive enhancement only.
(function () {
  "use strict";

  function chip(picker, id, name) {
    var key = picker.getAttribute("data-picker");
    var box = picker.querySelector("[data-chips]");
    if (box.querySelector('input[name="' + key + '"][value="' + CSS.escape(id) + '"]')) return;
    var span = document.createElement("span");
    span.className = "pick-chip";
    span.setAttribute("data-testid", "picked-" + key);
    [[key, id], ["role_id", id], ["role_name", name]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      span.appendChild(input);
    });
    span.appendChild(document.createTextNode(name + " "));
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "tag-remove";
    remove.setAttribute("data-unpick", "");
    remove.setAttribute("aria-label", "×");
    remove.textContent = "×";
    span.appendChild(remove);
    box.appendChild(span);
  }

  document.addEventListener("click", function (evt) {
    var option = evt.target.closest("[data-pick]");
    if (option) {
      var picker = option.closest("[data-picker]");
      chip(picker, option.getAttribute("data-id"), option.getAttribute("data-name"));
      picker.querySelector(".pick-results").innerHTML = "";
      var search = picker.querySelector("input[type=search]");
      search.value = "";
      search.focus();
      return;
    }
    var remove = evt.target.closest("[data-unpick]");
    if (remove) remove.closest(".pick-chip").remove();
  });

  // Enter in a picker's search must not submit the event form.
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Enter" && evt.target.matches("[data-picker] input[type=search]")) evt.preventDefault();
  });

  function guessZone() {
    var select = document.querySelector("select[data-guess-zone]");
    if (!select || !window.Intl) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && select.querySelector('option[value="' + CSS.escape(zone) + '"]')) select.value = zone;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", guessZone);
  else guessZone();
})();

// The event page's "Copy" button: the public registration link to the clipboard.
document.addEventListener("click", function (evt) {
  var button = evt.target.closest("[data-copy]");
  if (!button) return;
  var input = document.querySelector(button.getAttribute("data-copy"));
  if (!input) return;
  input.select();
  var done = function () {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-copied");
    setTimeout(function () { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, function () {});
  else { document.execCommand("copy"); done(); }
});

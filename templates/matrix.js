// ftpspec conformance matrix: filters, and one open cell at a time. The page is complete
// without this script; it only hides rows and closes panels. It reads the DOM, never markup
// from a report, and sets text, never HTML.
(function () {
  "use strict";
  var filters = document.getElementById("filters");
  var query = document.getElementById("q");
  var differ = document.getElementById("differ");
  var shown = document.getElementById("shown");
  var boxes = Array.prototype.slice.call(filters.querySelectorAll("input[name=verdict]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  var areas = Array.prototype.slice.call(document.querySelectorAll("tbody.area"));

  function apply() {
    var words = query.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = {};
    boxes.forEach(function (box) { wanted[box.value] = box.checked; });
    var count = 0;
    rows.forEach(function (row) {
      var search = row.getAttribute("data-search");
      var show = words.every(function (w) { return search.indexOf(w) >= 0; }) &&
        row.getAttribute("data-marks").split(" ").some(function (m) { return wanted[m]; }) &&
        (!differ.checked || row.getAttribute("data-differs") === "1");
      row.hidden = !show;
      if (show) { count += 1; }
    });
    areas.forEach(function (area) {
      area.hidden = !area.querySelector("tr.row:not([hidden])");
    });
    shown.textContent = count + " of " + rows.length + " scenarios shown";
  }

  query.addEventListener("input", apply);
  differ.addEventListener("change", apply);
  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  document.getElementById("reset").addEventListener("click", function () {
    query.value = "";
    differ.checked = false;
    boxes.forEach(function (box) { box.checked = true; });
    apply();
    query.focus();
  });

  function close(details) {
    details.open = false;
    details.querySelector("summary").focus();
  }

  // One panel at a time: opening a cell closes the one open before.
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.matches || !opened.matches("td.cell details") || !opened.open) { return; }
    document.querySelectorAll("td.cell details[open]").forEach(function (other) {
      if (other !== opened) { other.open = false; }
    });
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector("td.cell details[open]");
    if (open) { close(open); }
  });
  document.querySelectorAll("td.cell .close").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { close(button.closest("details")); });
  });

  filters.hidden = false;
  apply();
}());

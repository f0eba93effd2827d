/* The workbench's script, a help and never a need (every form works without it):
   - on "Cite a passage", a selection in the text fills in its start and end, in code points (the service's
     offsets: a character of two UTF-16 units counts once);
   - pickers: an input naming records offers the search API's answers as the curator types (for a list of ids,
     for the last one typed). */
(function () {
  "use strict";

  function picker(input, kinds, qualified) {
    var options = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var parts = input.value.split(",");
      var words = parts[parts.length - 1].trim();
      var before = parts.slice(0, -1).map(function (p) { return p.trim(); }).filter(Boolean).join(", ");
      var prefix = before ? before + ", " : "";
      if (words.length < 2 || words.indexOf("/") >= 0) return;
      timer = setTimeout(function () {
        fetch("/api/v1/search?q=" + encodeURIComponent(words) + "&page_size=20", { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (found) {
            options.replaceChildren();
            found.filter(function (hit) { return kinds.indexOf(hit.type) >= 0; }).forEach(function (hit) {
              var option = document.createElement("option");
              option.value = prefix + (qualified ? hit.type + "/" : "") + hit.id;
              option.textContent = hit.label;
              options.appendChild(option);
            });
          })
          .catch(function () { /* a help only: typing the id still works */ });
      }, 200);
    });
  }

  document.querySelectorAll("input[data-picks]").forEach(function (input) {
    picker(input, input.dataset.picks.split(" "), false);
  });
  var fact = document.querySelector("#cite-form #fact");
  if (fact) picker(fact, (fact.dataset.kinds || "").split(" "), true);

  // Dismissing a suggestion hides it and its mark here (a script's help: without it there is nothing to hide).
  document.querySelectorAll("button.dismiss[data-dismiss]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var item = document.getElementById(button.dataset.dismiss);
      if (item) item.hidden = true;
      var mark = document.getElementById("mark-" + button.dataset.dismiss.replace("suggestion-", ""));
      if (mark) mark.classList.add("dismissed");
    });
  });

  var text = document.getElementById("cite-text");
  var form = document.getElementById("cite-form");
  if (!text || !form) return;
  var start = form.querySelector("#start");
  var end = form.querySelector("#end");
  var shown = document.getElementById("selected-quote");

  function codePoints(s) { return Array.from(s).length; }

  // Code points from the start of the text to a boundary point inside one of its paragraphs (null elsewhere).
  function offset(node, at) {
    var element = node.nodeType === 1 ? node : node.parentElement;
    var paragraph = element && element.closest("p[data-start]");
    if (!paragraph || !text.contains(paragraph)) return null;
    var range = document.createRange();
    range.selectNodeContents(paragraph);
    range.setEnd(node, at);
    return Number(paragraph.dataset.start) + codePoints(range.toString());
  }

  document.addEventListener("selectionchange", function () {
    var selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    if (!text.contains(range.commonAncestorContainer)) return;
    var a = offset(range.startContainer, range.startOffset);
    var b = offset(range.endContainer, range.endOffset);
    if (a === null || b === null || b <= a) return;
    start.value = a;
    end.value = b;
    shown.textContent = range.toString();
    var none = document.getElementById("no-selection");
    if (none) none.remove();
  });
})();

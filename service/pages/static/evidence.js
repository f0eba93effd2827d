// The evidence pages' enhancements; without them every highlight still links to its passages' facts.
// - Hovering, focusing or tapping a highlight shows the facts of every passage covering it, in place: the list is
//   inserted right after the highlight, so Tab moves into its links; Escape closes it; the pointer may move onto it.
// - The highlight's innermost passage is lit across all its segments while the pointer is on it.
// - Arriving at #span-START-END (a fact page's link) marks every segment of that passage.
(function () {
  "use strict";

  var text = document.getElementById("text");
  if (!text) return;
  var segments = Array.prototype.slice.call(text.querySelectorAll("a.hl")); // the links (not the spaces between)
  var shaded = Array.prototype.slice.call(text.querySelectorAll(".hl")); // every highlighted run
  var popover = document.createElement("div");
  popover.className = "popover";
  popover.id = "facts-popover";
  popover.setAttribute("role", "group");
  popover.setAttribute("aria-label", "Facts this passage supports");
  var owner = null; // the highlight the popover belongs to
  var closing = null;
  var lastPointer = "mouse";
  var dismissed = null; // the highlight whose list Escape just closed: focusing it again does not reopen it

  function passagesOf(segment) {
    return (segment.getAttribute("data-passages") || "").split(" ").filter(Boolean);
  }

  function innermost(segment) {
    var href = segment.getAttribute("href") || "";
    return href.replace(/^#passage-/, "");
  }

  function fill(segment) {
    popover.textContent = "";
    var list = document.createElement("ul");
    list.className = "popover-passages";
    popover.appendChild(list);
    passagesOf(segment).forEach(function (key) {
      var entry = document.getElementById("passage-" + key);
      if (!entry) return;
      var copy = entry.cloneNode(true);
      copy.removeAttribute("id");
      var heading = document.createElement("h2");
      var bounds = key.split("-");
      heading.textContent = "Passage, characters " + bounds[0] + "\u2013" + bounds[1];
      copy.insertBefore(heading, copy.firstChild);
      list.appendChild(copy);
    });
  }

  function place(segment) {
    var box = text.getBoundingClientRect();
    var rects = segment.getClientRects();
    var last = rects[rects.length - 1] || segment.getBoundingClientRect();
    var width = Math.min(popover.offsetWidth, box.width);
    var left = Math.max(0, Math.min(last.left - box.left, box.width - width));
    popover.style.left = left + "px";
    popover.style.top = last.bottom - box.top + 6 + "px";
  }

  function open(segment) {
    cancelClose();
    if (owner === segment) return;
    owner = segment;
    fill(segment);
    segment.after(popover);
    segment.setAttribute("aria-expanded", "true");
    segment.setAttribute("aria-controls", popover.id);
    place(segment);
  }

  function close() {
    cancelClose();
    if (!owner) return;
    owner.removeAttribute("aria-expanded");
    owner.removeAttribute("aria-controls");
    owner = null;
    popover.remove();
  }

  function closeSoon() {
    cancelClose();
    closing = window.setTimeout(close, 350);
  }

  function cancelClose() {
    if (closing !== null) window.clearTimeout(closing);
    closing = null;
  }

  function light(segment, on) {
    var key = innermost(segment);
    shaded.forEach(function (other) {
      if (passagesOf(other).indexOf(key) >= 0) other.classList.toggle("lit", on);
    });
  }

  segments.forEach(function (segment) {
    segment.addEventListener("mouseenter", function () { open(segment); light(segment, true); });
    segment.addEventListener("mouseleave", function () { closeSoon(); light(segment, false); });
    segment.addEventListener("focus", function () {
      if (dismissed === segment) return;
      open(segment);
    });
    segment.addEventListener("blur", function () { if (dismissed === segment) dismissed = null; });
    segment.addEventListener("pointerdown", function (event) { lastPointer = event.pointerType; });
    segment.addEventListener("click", function (event) {
      // A tap shows the facts first; a second tap (or a click) follows the link to the passage's entry.
      if (lastPointer === "touch" && owner !== segment) {
        event.preventDefault();
        open(segment);
      }
    });
  });

  popover.addEventListener("mouseenter", cancelClose);
  popover.addEventListener("mouseleave", closeSoon);
  text.addEventListener("focusout", function (event) {
    var next = event.relatedTarget;
    if (next && (popover.contains(next) || segments.indexOf(next) >= 0)) return;
    closeSoon();
  });
  text.addEventListener("focusin", function (event) {
    if (popover.contains(event.target)) cancelClose();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !owner) return;
    var back = owner;
    dismissed = back;
    close();
    back.focus({ preventScroll: true });
  });
  window.addEventListener("resize", function () { if (owner) place(owner); });

  function target() {
    shaded.forEach(function (segment) { segment.classList.remove("targeted"); });
    var match = /^#span-(\d+-\d+)$/.exec(window.location.hash);
    if (!match) return;
    shaded.forEach(function (segment) {
      if (passagesOf(segment).indexOf(match[1]) >= 0) segment.classList.add("targeted");
    });
  }
  window.addEventListener("hashchange", target);
  target();
})();

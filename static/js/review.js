/*
 * The review page in the browser: selection -> code-point offsets, and keyboard shortcuts.
 *
 * Everything here is an enhancement: every action is an ordinary form that also works
 * without this script (offsets can be typed into the "Enter offsets" fields).
 *
 * In place. With htmx loaded (static/js/htmx.min.js, configured by the page's htmx-config
 * meta), each form posts with HX-Request and the server answers with out-of-band fragments
 * replacing the parts of the page it changed (templates/review/_fragment.html). This script
 * only trusts an answer marked X-Redactor-Fragment (anything else, e.g. a sign-in page after
 * the session ended, is not swapped and a message says what to do), moves the focus where
 * the server says (X-Redactor-Focus), and keeps working after a swap: its handlers are
 * delegated from the document, and the current portion is looked up again by id.
 *
 * Offsets. The server cuts each portion into segment elements; each text segment carries
 * data-start, the code-point offset of its first character in the stored cable text, and
 * shows exactly that text. A badge standing for an invisible character carries data-cp="1"
 * and counts as exactly one code point, whatever its label says. A selection boundary is
 * therefore data-start of its segment plus the number of code points before it inside that
 * segment, counted with Array.from (which counts code points; String.length counts UTF-16
 * units and would be wrong after an emoji). A boundary inside a grapheme cluster (an emoji
 * joined by ZWJ, a flag, a skin tone, a letter and its accents) moves to the cluster's edge,
 * outwards (Intl.Segmenter), so a whole emoji is selected or none of it; the server shows
 * each emoji cluster as one segment. The server validates and snaps every span.
 */
(function () {
  "use strict";

  var AREA = "[data-area-start]";
  var lastSelection = null; // {start, end, text, area, portion}

  function codePoints(str) {
    return Array.from(str).length;
  }

  var graphemes = (typeof Intl !== "undefined" && Intl.Segmenter)
    ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  /* `n` (code points into `text`) moved to a grapheme boundary: back for a start, on for an end. */
  function snapToGrapheme(text, n, isEnd) {
    if (!graphemes) return n;
    var at = 0;
    var parts = Array.from(graphemes.segment(text));
    for (var i = 0; i < parts.length; i++) {
      var size = codePoints(parts[i].segment);
      if (at < n && n < at + size) return isEnd ? at + size : at;
      at += size;
    }
    return n;
  }

  function segmentLength(seg) {
    return seg.hasAttribute("data-cp") ? 1 : codePoints(seg.textContent);
  }

  function segmentOf(node) {
    var element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return element ? element.closest("[data-start]") : null;
  }

  function segmentsOf(area) {
    return Array.prototype.slice.call(area.querySelectorAll("[data-start]"));
  }

  /* The code-point offset of a selection boundary (node, offset) inside `area`. */
  function boundaryOffset(area, node, offset, isEnd) {
    var seg = segmentOf(node);
    if (seg && area.contains(seg)) {
      var start = parseInt(seg.getAttribute("data-start"), 10);
      if (seg.hasAttribute("data-cp")) {
        // Inside a badge: the whole invisible character is in or out, never half of it.
        var size = node.nodeType === Node.TEXT_NODE ? node.data.length : node.childNodes.length;
        if (isEnd) return offset === 0 ? start : start + 1;
        return offset >= size ? start + 1 : start;
      }
      if (node.nodeType === Node.TEXT_NODE) {
        var range = document.createRange();
        range.setStart(seg, 0);
        range.setEnd(node, offset);
        return start + snapToGrapheme(seg.textContent, codePoints(range.toString()), isEnd);
      }
      return offset === 0 ? start : start + segmentLength(seg);
    }
    // A boundary between elements (e.g. on the area itself): use the neighbouring segment.
    var segments = segmentsOf(area);
    var child = node.nodeType === Node.ELEMENT_NODE ? node.childNodes[offset] : null;
    var index = child ? segments.indexOf(segmentOf(child)) : -1;
    if (index < 0) {
      index = isEnd ? segments.length - 1 : 0;
      if (!segments.length) return null;
      var last = segments[index];
      var lastStart = parseInt(last.getAttribute("data-start"), 10);
      return isEnd ? lastStart + segmentLength(last) : lastStart;
    }
    return parseInt(segments[index].getAttribute("data-start"), 10);
  }

  /* The current selection as offsets, or a string saying why there is none. */
  function readSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    var startArea = (range.startContainer.nodeType === Node.ELEMENT_NODE
      ? range.startContainer : range.startContainer.parentElement);
    var endArea = (range.endContainer.nodeType === Node.ELEMENT_NODE
      ? range.endContainer : range.endContainer.parentElement);
    startArea = startArea && startArea.closest(AREA);
    endArea = endArea && endArea.closest(AREA);
    if (!startArea && !endArea) return null;
    if (startArea !== endArea) {
      return "The selection runs across portions or fields: a redaction lies inside one.";
    }
    var area = startArea;
    var start = boundaryOffset(area, range.startContainer, range.startOffset, false);
    var end = boundaryOffset(area, range.endContainer, range.endOffset, true);
    if (start === null || end === null) return null;
    start = Math.max(start, parseInt(area.getAttribute("data-area-start"), 10));
    end = Math.min(end, parseInt(area.getAttribute("data-area-end"), 10));
    if (!(start < end)) return null;
    var portion = area.closest("[data-portion]");
    return {
      start: start,
      end: end,
      text: range.toString(),
      area: area.getAttribute("data-area") || "",
      anchor: portion ? portion.id : "header",
    };
  }

  function setStatus(message, active) {
    var status = document.getElementById("selection-status");
    if (!status) return;
    status.textContent = message;
    status.classList.toggle("has-selection", !!active);
  }

  function fillForm(form, sel) {
    var start = form.querySelector("[data-role=start]");
    var end = form.querySelector("[data-role=end]");
    if (start) start.value = String(sel.start);
    if (end) end.value = String(sel.end);
  }

  function onSelectionChange() {
    var sel = readSelection();
    if (sel === null) return;
    if (typeof sel === "string") {
      setStatus(sel, false);
      return;
    }
    lastSelection = sel;
    var form = document.getElementById("propose-form");
    if (form) {
      fillForm(form, sel);
      var back = form.querySelector("input[name=back]");
      if (back) back.value = back.value.split("#")[0] + "#" + sel.anchor;
    }
    var shown = sel.text.length > 80 ? sel.text.slice(0, 77) + "…" : sel.text;
    setStatus("Selected in " + sel.area + ": “" + shown + "” (offsets " + sel.start + "–" +
      sel.end + "). Press r or choose codes below.", true);
  }

  /* ---------------------------------------------------------------- navigation */

  function portions() {
    return Array.prototype.slice.call(document.querySelectorAll("section.portion[data-portion]"));
  }

  var current = null; // the portion moved to with j/k, or last focused

  function setCurrent(portion) {
    if (current) current.classList.remove("is-current");
    current = portion;
    if (!portion) return;
    portion.classList.add("is-current");
    portion.focus({ preventScroll: true });
    portion.scrollIntoView({ block: "start" });
  }

  // After a swap the current portion may be a detached copy: use its replacement.
  function liveCurrent() {
    if (current && !current.isConnected) {
      current = current.id ? document.getElementById(current.id) : null;
      if (current) current.classList.add("is-current");
    }
    return current;
  }

  function move(step) {
    var list = portions();
    if (!list.length) return;
    liveCurrent();
    var index = current ? list.indexOf(current) : -1;
    var next = index < 0 ? (step > 0 ? 0 : list.length - 1)
      : Math.min(list.length - 1, Math.max(0, index + step));
    setCurrent(list[next]);
  }

  function currentPortion() {
    var active = document.activeElement;
    var inside = active && active.closest ? active.closest("section.portion[data-portion]") : null;
    return inside || liveCurrent();
  }

  function currentProposal() {
    var active = document.activeElement;
    var proposal = active && active.closest ? active.closest(".proposal") : null;
    if (proposal) return proposal;
    var portion = currentPortion();
    if (!portion) return null;
    var candidates = portion.querySelectorAll(".proposal");
    for (var i = 0; i < candidates.length; i++) {
      if (candidates[i].querySelector("[data-action=approve]")) return candidates[i];
    }
    return null;
  }

  var OWN_PROPOSAL_MESSAGE =
    "You cannot approve your own proposal: another approver must.";

  // True when `proposal` (or, without one, the current portion) holds a proposal of the
  // user's own (marked data-mine by the server) that is still open for a decision.
  function ownProposalHere(proposal) {
    if (proposal) return proposal.hasAttribute("data-mine");
    var portion = currentPortion();
    return !!(portion && portion.querySelector(
      ".proposal[data-mine].proposal-pending, .proposal[data-mine].proposal-awaiting"));
  }

  function openPropose(focusCodes) {
    var panel = document.getElementById("propose");
    if (!panel) return false;
    panel.classList.add("is-active");
    panel.scrollIntoView({ block: "nearest" });
    if (focusCodes) {
      var first = panel.querySelector("#propose-codes input");
      if (first) first.focus();
    }
    return true;
  }

  function withhold(portionIndex) {
    var select = document.getElementById("withhold-portion");
    if (!select) return;
    select.value = String(portionIndex);
    setStatus("Withholding " + (select.options[select.selectedIndex] || {}).text +
      ": choose the codes, then press “Withhold portion”.", true);
    openPropose(true);
  }

  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function openShortcuts() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
  }

  function focusSearch() {
    var box = document.getElementById("q");
    if (box) {
      box.focus();
      box.select();
      return;
    }
    var link = document.querySelector("[data-search-link]");
    if (link) window.location.href = link.getAttribute("href") + "?focus=search";
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog && dialog.open) return;
    var portion, proposal, button;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "r":
        if (!lastSelection) {
          setStatus("Select some text in a portion, a header field or a line first.", false);
          if (!openPropose(false)) return;
        } else if (!openPropose(true)) {
          return;
        }
        break;
      case "w":
        portion = currentPortion();
        if (!portion || !document.getElementById("withhold-portion")) return;
        withhold(portion.getAttribute("data-portion"));
        break;
      case "a":
        proposal = currentProposal();
        button = proposal && proposal.querySelector("[data-action=approve]");
        if (!button) {
          // Say why nothing happens: the two-person rule (one's own proposal), or nothing
          // here to approve. Only when the page has proposals (not on the dashboard).
          if (!document.querySelector(".proposal")) return;
          setStatus(ownProposalHere(proposal) ? OWN_PROPOSAL_MESSAGE
            : "There is no proposal here that you may approve.", false);
          break;
        }
        if (window.confirm("Approve proposal " + proposal.id.replace("redaction-", "#") + "?")) {
          button.click();
        }
        break;
      case "x":
        proposal = currentProposal();
        var details = proposal && proposal.querySelector("details[data-action=reject]");
        if (!details) return;
        details.open = true;
        var reason = details.querySelector("textarea");
        if (reason) reason.focus();
        break;
      case "m":
        portion = currentPortion();
        button = portion && portion.querySelector("[data-action=mark]");
        if (!button) return;
        button.click();
        break;
      case "/": focusSearch(); break;
      case "?": openShortcuts(); break;
      default: return;
    }
    event.preventDefault();
  }

  /* ------------------------------------------------------------- in place (htmx) */

  function showJsOnly(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".js-only"), function (el) {
      el.hidden = false;
    });
  }

  // The page's status line (an aria-live region) with `message`.
  function say(message, isError) {
    var region = document.getElementById("review-status");
    if (!region) return;
    var line = document.createElement("p");
    line.className = "status-message " + (isError ? "status-error" : "status-success");
    line.textContent = message;
    region.replaceChildren(line);
  }

  var FALLBACK = {
    400: "The request was refused (400): reload the page and try again.",
    403: "You may not do that (403). Nothing was changed.",
    404: "There is nothing here, or you may not see it (404). Nothing was changed.",
    409: "Someone changed this after your page was loaded (409): reload the page.",
    413: "That is larger than the server accepts (413).",
    429: "Too many requests (429): wait a moment and try again.",
  };

  // Only a response marked as a fragment of this page is swapped in (of any status: an
  // error fragment carries its message); anything else gets a message and swaps nothing.
  function beforeSwap(event) {
    var xhr = event.detail.xhr;
    if (xhr.getResponseHeader("X-Redactor-Fragment") !== "1") {
      event.detail.shouldSwap = false;
      var signedOut = /\/login(\?|$)/.test(xhr.responseURL || "");
      say(signedOut ? "You are signed out: reload the page to sign in again. Nothing was recorded."
        : (FALLBACK[xhr.status] || "The server's answer (" + xhr.status +
          ") cannot be shown here: reload the page."), true);
      return;
    }
    event.detail.shouldSwap = true;
    event.detail.isError = false;
    var focusId = xhr.getResponseHeader("X-Redactor-Focus");
    var proposed = xhr.status === 200 && /^redaction-/.test(focusId || "") &&
      event.detail.requestConfig && /\/(redactions|withhold)$/.test(event.detail.requestConfig.path || "");
    // Once the new parts have settled (htmx keeps the old attributes of an element of the
    // same id until then, e.g. the class of the field in error): htmx:afterSettle, or a
    // timer should nothing have been swapped.
    pendingSwap = { focusId: focusId, proposed: proposed };
    window.setTimeout(settled, 250);
  }

  var pendingSwap = null;

  function settled() {
    if (!pendingSwap) return;
    var done = pendingSwap;
    pendingSwap = null;
    afterSwap(done.focusId, done.proposed);
  }

  function afterSwap(focusId, proposed) {
    showJsOnly(document);
    liveCurrent();
    if (proposed) lastSelection = null; // the form was emptied for the next proposal
    var target = focusId && document.getElementById(focusId);
    if (!target) return;
    if (focusId === "propose") {
      // A refused proposal: the field in error, or the confirmation, or the panel.
      target = target.querySelector("[aria-invalid=true], .codes.has-error input, #propose-anyway") || target;
    }
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "nearest" });
  }

  function init() {
    document.addEventListener("selectionchange", function () {
      window.clearTimeout(init.timer);
      init.timer = window.setTimeout(onSelectionChange, 120);
    });
    document.addEventListener("keydown", onKey);
    document.addEventListener("focusin", function (event) {
      var portion = event.target.closest && event.target.closest("section.portion[data-portion]");
      if (portion && portion !== current) {
        if (current) current.classList.remove("is-current");
        current = portion;
        portion.classList.add("is-current");
      }
    });
    showJsOnly(document);
    // Delegated: these buttons and links are replaced when a fragment arrives.
    document.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target : event.target.parentElement;
      var use = target && target.closest("[data-use-selection]");
      if (use) {
        if (!lastSelection) {
          setStatus("Select the new span in the text first, then use this button.", false);
          return;
        }
        fillForm(use.closest("form"), lastSelection);
        return;
      }
      var link = target && target.closest("a[data-action=withhold]");
      if (link) {
        event.preventDefault();
        withhold(link.getAttribute("data-portion"));
      }
    });
    document.addEventListener("htmx:beforeSwap", beforeSwap);
    document.addEventListener("htmx:afterSettle", settled);
    document.addEventListener("htmx:sendError", function () {
      say("The server did not answer. Reload the page to see whether the action was recorded.", true);
    });
    var opener = document.querySelector("[data-open-shortcuts]");
    if (opener) opener.addEventListener("click", openShortcuts);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

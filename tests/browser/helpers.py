"""Helpers for the browser tests (no tests here): selecting text with the mouse."""

from __future__ import annotations

# Boxes of the first and the last character of `phrase` in the portion text holding it
# (after scrolling it into view), and the first characters of that portion.
PHRASE_BOXES = """
(phrase) => {
  const areas = Array.from(document.querySelectorAll('section.portion .cable-text'));
  const area = areas.find((a) => a.textContent.includes(phrase));
  if (!area) return null;
  area.scrollIntoView({ block: 'center' });
  const walker = document.createTreeWalker(area, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = '';
  while (walker.nextNode()) {
    nodes.push({ node: walker.currentNode, at: text.length });
    text += walker.currentNode.data;
  }
  const at = text.indexOf(phrase);
  const box = (offset) => {
    let i = nodes.length - 1;
    while (nodes[i].at > offset) i -= 1;
    const range = document.createRange();
    range.setStart(nodes[i].node, offset - nodes[i].at);
    range.setEnd(nodes[i].node, offset - nodes[i].at + 1);
    return range.getBoundingClientRect();
  };
  const first = box(at);
  const last = box(at + phrase.length - 1);
  return {
    head: text.trimStart().slice(0, 6),
    x1: first.left + 1, y1: (first.top + first.bottom) / 2,
    x2: last.right - 1, y2: (last.top + last.bottom) / 2,
  };
}
"""

# The text of the cable-text segments covered by redaction `id`, in order.
HIGHLIGHTED = """
(id) => Array.from(document.querySelectorAll('.cable-text [data-redactions]'))
  .filter((el) => el.getAttribute('data-redactions').split(' ').includes(String(id)))
  .map((el) => el.textContent).join('')
"""


def drag_select(page, phrase: str) -> str:
    """Select ``phrase`` by dragging the mouse from its first character to its last (real
    mouse events; the selection is never set by script). Returns the first characters of
    the portion it is in."""
    boxes = page.evaluate(PHRASE_BOXES, phrase)
    assert boxes is not None, f"{phrase!r} is not on the page"
    page.mouse.move(boxes["x1"], boxes["y1"])
    page.mouse.down()
    page.mouse.move(boxes["x2"], boxes["y2"], steps=8)
    page.mouse.up()
    return boxes["head"]


STATUS_LINE = "#review-status .status-message"


def in_place(page, action, expected: str) -> str:
    """Run ``action()`` (a click or a key on the review page, answered in place by htmx)
    and wait until the page's status line says ``expected``; returns the line. The line is
    emptied first, so that the same words from an earlier action do not count."""
    from playwright.sync_api import expect

    page.evaluate("() => document.getElementById('review-status').replaceChildren()")
    action()
    line = page.locator(STATUS_LINE)
    expect(line).to_contain_text(expected)
    return line.inner_text()

"""Take screenshots of the review pages of a running demo server (a development tool).

Usage::

    redactor demo --instance /tmp/redactor-demo --port 5123      # prints the passwords
    python tools/screenshots.py --base-url http://127.0.0.1:5123 \\
        --reviewer-password ... --approver-password ...

It signs in as the demo reviewer, selects a word in a portion of a sample cable the way a
person would (a DOM selection, so the page's own script computes the offsets), proposes two
redactions, signs in as the demo approver, approves the first, and saves ``dashboard.png``,
``cable-review.png``, ``cable-portions.png`` and ``preview.png`` under ``docs/screenshots/``.

Needs Playwright for Python (``pip install playwright``) and a Chromium on the system
(``--chromium``, default ``/usr/bin/chromium``); it never downloads a browser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

# Select `word` inside the first text segment of the page that holds it.
SELECT_WORD = """
(word) => {
  const segs = Array.from(document.querySelectorAll('[data-area-start] [data-start]'));
  for (const seg of segs) {
    const node = seg.firstChild;
    if (!node || node.nodeType !== Node.TEXT_NODE) continue;
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + word.length);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return seg.closest('[data-portion]') ? seg.closest('[data-portion]').id : 'header';
  }
  return null;
}
"""


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login" in page.url:
        sys.exit(f"could not sign in as {username}")


def propose_word(page, base: str, cable: str, word: str, codes: list[str], why: str) -> None:
    page.goto(f"{base}/cables/{cable}")
    where = page.evaluate(SELECT_WORD, word)
    if where is None:
        sys.exit(f"{word!r} is not in {cable}")
    # The page's script fills the offsets when the selection settles (polled from here:
    # the page's CSP forbids evaluating strings, as it should).
    for _ in range(50):
        if page.input_value("#propose-start"):
            break
        page.wait_for_timeout(100)
    else:
        sys.exit("the page's script did not fill in the offsets")
    page.keyboard.press("r")
    for code in codes:
        page.check(f"#propose-codes input[value='{code}']")
    page.fill("#propose-rationale", why)
    page.click("#propose-form button[type=submit]:not([formaction])")
    page.wait_for_load_state()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5123")
    parser.add_argument("--cable", default="09VILNIUS84")
    parser.add_argument("--approve-word", default="Seche")
    parser.add_argument("--pending-word", default="CENTCOM")
    parser.add_argument("--reviewer", default="reviewer")
    parser.add_argument("--reviewer-password", required=True)
    parser.add_argument("--approver", default="approver")
    parser.add_argument("--approver-password", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as play:
        browser = play.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        viewport = {"width": 1400, "height": 1000}
        reviewer = browser.new_page(viewport=viewport)
        sign_in(reviewer, base, args.reviewer, args.reviewer_password)
        propose_word(reviewer, base, args.cable, args.approve_word, ["B6"],
                     "Name of a junior official.")
        propose_word(reviewer, base, args.cable, args.pending_word, ["B1", "1.4(D)"],
                     "Foreign relations.")

        approver = browser.new_page(viewport=viewport)
        sign_in(approver, base, args.approver, args.approver_password)
        approver.goto(f"{base}/dashboard")
        approver.screenshot(path=str(args.out / "dashboard.png"), full_page=True)
        approver.goto(f"{base}/cables/{args.cable}")
        first = approver.locator(".proposal-pending [data-action=approve]").first
        first.click()
        approver.wait_for_load_state()

        reviewer.goto(f"{base}/cables/{args.cable}")
        reviewer.screenshot(path=str(args.out / "cable-review.png"))
        reviewer.keyboard.press("j")  # to the first portion, with its focus ring
        reviewer.wait_for_timeout(300)
        reviewer.screenshot(path=str(args.out / "cable-portions.png"))
        reviewer.goto(f"{base}/cables/{args.cable}/preview")
        reviewer.screenshot(path=str(args.out / "preview.png"))
        browser.close()
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

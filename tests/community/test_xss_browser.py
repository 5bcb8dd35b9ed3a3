"""The XSS corpus posted as tips, titles, answers, contact reasons, flag reasons and people's
names, then every page showing them opened in Chromium (Playwright). The page's CSP is
bypassed on purpose, so the sanitizer alone must stop them: no payload may set
``window.__xss`` or open a dialog, and no unsafe element or attribute reaches the page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.community.conftest import Session, login, skill_ids
from tests.community.xss_corpus import NAMES, PAYLOADS
from tests.harness import LEARNER, FakeLms

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("Debian's Chromium is required for the browser tests in CI")
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)

from playwright.sync_api import Dialog, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

UNSAFE = """() => {
  const main = document.querySelector('main');
  const found = [];
  for (const el of main.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'style', 'iframe', 'object', 'embed', 'svg', 'math', 'img', 'link', 'meta',
         'base', 'frame'].includes(tag)) found.push('tag ' + tag);
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on') || name === 'style' || name === 'srcdoc' || name === 'formaction')
        found.push(tag + ' @' + name);
      if (/^(javascript|vbscript|data):/.test(value)) found.push(tag + ' @' + name + '=' + value);
    }
  }
  return found;
}"""


def test_xss_corpus_never_runs_in_chromium(
    lms: FakeLms, clean_app: Any, chloe: Session, ana: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(clean_app.config, "COMMUNITY_POST_LIMIT", 0)
    skills = [skill_ids(clean_app)["Empathy"]]
    mallory = login(lms, "mallory", [LEARNER], NAMES[0], "mallory@example.com")
    others = [
        login(lms, f"m{n}", [LEARNER], name, f"m{n}@example.com")
        for n, name in enumerate(NAMES[1:])
    ]

    question = ana.share("question", "Anything odd?", "Answers below.", skills, notify_experts="1")
    tips = []
    for n, payload in enumerate(PAYLOADS):
        tips.append(
            mallory.share(
                "tip",
                payload[:200],
                f"{payload}\n\nMentioning @[{NAMES[0]}] and @[Ana Alvarez].",
                skills,
                contact_reason=payload[:120],
            )
        )
        author = [mallory, *others][n % (len(others) + 1)]
        author.answer(question, payload)
    mallory.follow(
        mallory.post(
            f"/community/p/{tips[0]}/edit",
            {"title": PAYLOADS[1], "body": PAYLOADS[3], "skills": skills},
        )
    )
    mallory.follow(mallory.post(f"/community/post/{tips[1]}/flag", {"reason": PAYLOADS[3]}))
    ana.follow(ana.post(f"/community/post/{tips[2]}/flag", {"reason": PAYLOADS[0]}))

    pages: list[tuple[Session, str]] = [
        (ana, "/community/"),
        (ana, "/community/?page=2"),
        (ana, "/community/?page=3"),
        (ana, "/community/?q=script"),
        (ana, f"/community/p/{question}"),
        (ana, "/community/notifications"),
        (ana, "/"),
        (mallory, "/community/notifications"),
        (mallory, "/me"),
        (ana, f"/community/post/{tips[0]}/history"),
        (chloe, "/community/review"),
        (chloe, f"/community/post/{tips[1]}/moderate"),
        (chloe, f"/community/p/{tips[0]}/edit"),
        *[(ana, f"/community/p/{tip}") for tip in tips],
    ]
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(bypass_csp=True)  # the sanitizer alone must hold
            page = context.new_page()

            def on_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            for who, path in pages:
                response = page.goto(who.url(path))
                assert response is not None and response.status == 200, path
                page.wait_for_timeout(50)
                for link in page.locator("main a").all()[:5]:
                    link.hover()
                assert page.evaluate("() => typeof window.__xss") == "undefined", path
                assert page.evaluate(UNSAFE) == [], path
            # The payloads are there as text, not silently dropped everywhere.
            page.goto(ana.url(f"/community/p/{tips[3]}"))
            assert "onerror" in page.inner_text("main") or "img src" in page.inner_text("main")
        finally:
            browser.close()
    assert dialogs == []

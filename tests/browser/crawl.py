"""The crawl the browser checks share: each demo role signs in and follows the links it is
shown, from the start page outwards, visiting each kind of page (its URL with the numbers
taken out) once."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from screening import demo

from .pages import LoginPage

ROLES = (
    "paedagog@demo.dk",
    "leder@demo.dk",
    "sundhedsplejerske@demo.dk",
    "tandpleje@demo.dk",
    "koordinator@demo.dk",
    "ppr@demo.dk",
    "socialraadgiver@demo.dk",
    "admin@demo.dk",
)
MAX_PAGES_PER_ROLE = 40

# Links that are not pages: files, the sign-out, the language switch, the service worker.
NOT_A_PAGE = re.compile(
    r"(\.pdf|\.csv|\.xlsx|\.zip|/download|/export|/logout|/language|/sw\.js|"
    r"/manifest|/static/|/healthz)",
    re.IGNORECASE,
)


def kind_of(url: str) -> str:
    """A page's kind: its path with every number replaced, and its query's keys."""
    parts = urlsplit(url)
    keys = sorted(k.split("=")[0] for k in parts.query.split("&") if k)
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def crawl(page, live_server: str, email: str, problems: list[str]) -> Iterator[str]:
    """Sign in as `email` on `page` and walk the role's pages, yielding a description of
    each page ("<email> <path>") once it is shown; a page that answers an error is added to
    `problems` and not yielded. The caller inspects `page` between the steps."""
    LoginPage(page, live_server).open().sign_in(email, demo.DEMO_PASSWORD)
    queue, seen = deque([page.url]), {kind_of(page.url)}
    visited = 0
    while queue and visited < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        response = page.goto(url)
        visited += 1
        where = f"{email} {urlsplit(url).path}"
        if response is None or response.status >= 400:
            problems.append(f"{where}: answered {response and response.status}")
            continue
        yield where
        for href in page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(a => a.getAttribute('href'))"
        ):
            target = urljoin(url, href).split("#")[0]
            if not target.startswith(live_server) or NOT_A_PAGE.search(target):
                continue
            if kind_of(target) not in seen:
                seen.add(kind_of(target))
                queue.append(target)

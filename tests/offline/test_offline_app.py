"""The offline app's server parts: a public shell without personal data, a versioned service
worker whose files all exist, the manifest, the session endpoint, and the pinned vendored
library."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from screening.offline.shell import precache_static

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "screening" / "static"


def test_the_shell_is_public_and_the_same_for_everyone(client, browser, world):
    signed_out = client.get("/offline/")
    assert signed_out.status_code == 200
    browser.login("edu1@example.dk")
    signed_in = client.get("/offline/")
    assert signed_in.status_code == 200
    # Same bytes signed in and out: no name, no CSRF token, nothing personal to cache.
    assert signed_in.get_data() == signed_out.get_data()
    html = signed_in.get_data(as_text=True)
    assert "csrf" not in html.lower()
    for name in ("Eva", "Otto", "Ulla", "Egernene"):
        assert name not in html
    assert 'rel="manifest"' in html
    assert "<script>" not in html


def test_test_hooks_are_off_unless_configured(app, client, monkeypatch):
    assert "data-test-hooks" in client.get("/offline/").get_data(as_text=True)
    monkeypatch.setitem(app.config, "OFFLINE_TEST_HOOKS", False)
    assert "data-test-hooks" not in client.get("/offline/").get_data(as_text=True)


def test_the_service_worker_is_versioned_and_keeps_only_existing_files(app, client, monkeypatch):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] in ("no-cache", "no-store")
    body = response.get_data(as_text=True)
    version = re.search(r'const VERSION = "([^"]+)";', body).group(1)
    assert version
    assert version != "__VERSION__"
    precache = json.loads(re.search(r"const PRECACHE = (\[[^\]]*\]);", body).group(1))
    assert precache[0] == "/offline/"
    assert len(precache) == len(precache_static(STATIC)) + 1
    for url in precache:
        with client.get(url) as kept:
            assert kept.status_code == 200, url

    monkeypatch.setitem(app.config, "OFFLINE_APP_VERSION", "2026-11-23.1")
    again = client.get("/sw.js").get_data(as_text=True)
    assert 'const VERSION = "2026-11-23.1";' in again
    assert "2026-11-23.1" in client.get("/offline/").get_data(as_text=True)


def test_the_version_follows_the_cached_files(app, tmp_path, monkeypatch):
    import shutil

    from screening.offline.shell import app_version

    monkeypatch.delitem(app.extensions, "offline_app_version", raising=False)
    first = app_version()
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    app.extensions.pop("offline_app_version")
    assert app_version() == first  # the same files, the same version

    # A deployment that changes a cached file is a new version (new caches on the tablets).
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    (copy / "app.css").write_text("/* changed */", encoding="utf-8")
    monkeypatch.setattr(app, "static_folder", str(copy))
    app.extensions.pop("offline_app_version")
    assert app_version() != first
    app.extensions.pop("offline_app_version")


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["start_url"] == "/offline/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200
            data = image.get_data()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        assert f"{width}x{width}" == icon["sizes"]


def test_the_session_endpoint_gives_a_working_csrf_token(client, browser, world):
    signed_out = client.get("/api/session", headers={"Accept": "application/json"})
    assert signed_out.status_code == 401
    assert signed_out.get_json() == {"error": "authentication required"}

    browser.login("edu1@example.dk")
    data = client.get("/api/session", headers={"Accept": "application/json"}).get_json()
    assert data["user"] == {"id": world["edu1"].id, "name": "Eva"}
    response = client.post(
        "/api/sync", json={"items": []}, headers={"X-CSRFToken": data["csrf_token"]}
    )
    assert response.status_code == 200
    assert response.get_json() == {"results": []}


def test_the_pack_names_the_observation_levels(client, browser, world):
    browser.login("edu1@example.dk")
    pack = client.get("/api/offline-pack").get_json()
    assert set(pack["observation_levels"]) == {"1", "2", "3"}
    assert pack["observation_levels"]["3"]["da"] == "Alvorlig bekymring"


def test_offline_forms_are_in_the_menu_for_those_who_assess(client, browser, world):
    browser.login("edu1@example.dk")
    assert 'href="/offline/"' in client.get("/institutions").get_data(as_text=True)


def test_vendored_javascript_matches_its_pinned_checksum():
    table = (STATIC / "vendor" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"\| `([^`]+)` \|.*?\| `([0-9a-f]{64})` \|", table)
    assert rows, "no pinned files in static/vendor/README.md"
    for relative, digest in rows:
        path = STATIC / "vendor" / relative
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, relative
        assert (path.parent / "LICENSE").exists(), f"no licence beside {relative}"
    assert "vendor/idb-8.0.4/idb.umd.js" in precache_static(STATIC)


def test_the_session_gives_the_users_main_menu(client, browser, world):
    browser.login("edu1@example.dk")
    menu = client.get("/api/session").get_json()["menu"]
    page = client.get("/institutions").get_data(as_text=True)
    nav = page.split('aria-label="Hovedmenu"')[1].split("</nav>")[0]
    assert [m["href"] for m in menu] == re.findall(r'href="([^"]+)"', nav)
    assert "/offline/" in [m["href"] for m in menu]
    assert "/admin/users" not in [m["href"] for m in menu]  # an educator manages no users


def test_the_page_loads_its_modules_from_its_own_version(app, client, monkeypatch):
    from screening.offline.shell import app_version

    monkeypatch.setitem(app.config, "OFFLINE_APP_VERSION", "v-one")
    page = client.get("/offline/")
    assert page.headers["X-Offline-App-Version"] == "v-one"
    html = page.get_data(as_text=True)
    assert 'src="/offline/app/v-one/js/offline/main.js"' in html
    assert "/static/js/offline/" not in html
    assert app_version() == "v-one"

    with client.get("/offline/app/v-one/js/offline/main.js") as module:
        assert module.status_code == 200
        assert module.mimetype == "text/javascript"
        assert module.headers["X-Offline-App-Version"] == "v-one"
        assert module.get_data() == (STATIC / "js" / "offline" / "main.js").read_bytes()
    with client.get("/offline/app/v-one/vendor/idb-8.0.4/idb.umd.js") as vendored:
        assert vendored.status_code == 200
    # Another version's module is never answered with this version's file; and only the
    # app's modules are served this way.
    assert client.get("/offline/app/v-zero/js/offline/main.js").status_code == 404
    assert client.get("/offline/app/v-one/js/offline/nothing.js").status_code == 404
    assert client.get("/offline/app/v-one/app.css").status_code == 404
    assert client.get("/offline/app/v-one/js/sw-register.js").status_code == 404
    assert client.get("/offline/app/v-one/js/offline/../../app.css").status_code == 404


def _app_strings(html: str) -> dict[str, str]:
    import html as html_lib

    raw = re.search(r'data-strings="([^"]*)"', html).group(1)
    return json.loads(html_lib.unescape(raw))


def test_the_storage_advice_and_sync_states_are_in_the_chosen_language(client):
    # Every key errors.js can answer (tests/js/errors.test.mjs checks the page has them).
    keys = re.findall(
        r': "(storage_[a-z]+)"', (STATIC / "js" / "offline" / "errors.js").read_text("utf-8")
    )
    assert "storage_quota" in keys
    danish = _app_strings(client.get("/offline/").get_data(as_text=True))
    assert danish["storage_quota"] == (
        "Der er ikke mere plads på enheden. Send det, der venter, eller slet gamle offline-pakker."
    )
    assert danish["status_unreachable"] == "Online, men serveren kan ikke nås"
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = _app_strings(client.get("/offline/").get_data(as_text=True))
    assert english["storage_quota"] == (
        "There is no more space on the device. Send what is waiting, or delete old offline packs."
    )
    assert english["status_unreachable"] == "Online, but the server cannot be reached"
    for key in [*set(keys), "save_failed", "pack_expired", "stale_version", "tries_last_next"]:
        assert english[key] != danish[key], key

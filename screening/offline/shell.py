"""The installable offline app (Offline-formularer): its page, service worker and manifest.

The page holds no personal data and no CSRF token: it is the same for everyone, so the
service worker may keep it and serve it with no network. Everything personal arrives
through the signed-in JSON API (``/api/session``, ``/api/offline-pack``, ``/api/device-key``)
and is kept on the device only encrypted (see docs/OFFLINE.md).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from screening.core.i18n import lang as current_lang

bp = Blueprint("offline", __name__)

# What the service worker keeps for offline use (all of it static, the same for everyone):
# the shell's own files, and every JavaScript file of the app's modules and of the vendored
# libraries, found on disk, so a new module needs no edit here.
SHELL_STATIC = (
    "app.css",
    "logo.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "js/sw-register.js",
)
MODULE_FOLDERS = ("js/offline", "vendor")


def _static_folder() -> Path:
    # The app is created with its static folder; str() only satisfies the type.
    return Path(str(current_app.static_folder))


def precache_static(static_folder: str | Path | None = None) -> list[str]:
    """The static files the service worker keeps, as paths below the static folder."""
    static = Path(static_folder) if static_folder else _static_folder()
    found = sorted(
        path.relative_to(static).as_posix()
        for folder in MODULE_FOLDERS
        for path in (static / folder).rglob("*.js")
    )
    return [*SHELL_STATIC, *found]


def is_module(name: str) -> bool:
    """Whether `name` (below the static folder) is one of the app's versioned modules."""
    return name.endswith(".js") and any(name.startswith(f + "/") for f in MODULE_FOLDERS)


def cached_url(name: str) -> str:
    """The URL the page and the worker use for a kept static file: the app's modules under
    the version's own path (so every import they make is of the same version), the rest
    from the static folder."""
    if is_module(name):
        return url_for("offline.module", version=app_version(), filename=name)
    return url_for("static", filename=name)


def app_version() -> str:
    """The offline app's version: OFFLINE_APP_VERSION if set, else a digest of the files
    the service worker keeps, so any change to them installs a new worker and new caches."""
    configured = current_app.config.get("OFFLINE_APP_VERSION")
    if configured:
        return str(configured)
    cached = current_app.extensions.get("offline_app_version")
    if cached is None:
        digest = hashlib.sha256()
        static = _static_folder()
        template = Path(current_app.root_path).parent / "templates" / "offline" / "app.html"
        for path in [static / name for name in precache_static(static)] + [
            static / "js" / "sw.js",
            template,
        ]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes() if path.exists() else b"")
        cached = digest.hexdigest()[:12]
        current_app.extensions["offline_app_version"] = cached
    return cached


# The page names its version in a header: the worker keeps a page only in the cache of the
# same version as the scripts it keeps there (static/js/sw.js).
VERSION_HEADER = "X-Offline-App-Version"


@bp.route("/offline/")
def app_page() -> Response:
    lang = current_lang()
    idle = int(current_app.config["INACTIVITY_TIMEOUT"].total_seconds())
    body = render_template(
        "offline/app.html",
        app_version=app_version(),
        lang=lang,
        idle_seconds=max(idle, 1),
        retry_seconds=(
            float(current_app.config.get("OFFLINE_RETRY_MIN_SECONDS", 30)),
            float(current_app.config.get("OFFLINE_RETRY_MAX_SECONDS", 300)),
        ),
        test_hooks=bool(current_app.config.get("OFFLINE_TEST_HOOKS")),
        module_url=cached_url,
    )
    response = Response(body, mimetype="text/html")
    response.headers[VERSION_HEADER] = app_version()
    return response


@bp.route("/offline/app/<version>/<path:filename>")
def module(version: str, filename: str) -> Response:
    """The app's modules under the version's path. Relative imports stay within it, so a
    page of one version never runs a module of another: a version this server does not
    have is 404, never the current file in its place."""
    if version != app_version() or not is_module(filename):
        abort(404)
    if filename not in precache_static():
        abort(404)
    response = send_from_directory(_static_folder(), filename, mimetype="text/javascript")
    response.headers[VERSION_HEADER] = version
    return response


@bp.route("/sw.js")
def service_worker() -> Response:
    """The worker, with its version and the files to keep written in. Never cached by the
    browser's HTTP cache, so a deployment is noticed at the next visit."""
    source = (_static_folder() / "js" / "sw.js").read_text(encoding="utf-8")
    urls = [url_for("offline.app_page")] + [cached_url(name) for name in precache_static()]
    body = source.replace('"__VERSION__"', f'"{app_version()}"').replace(
        '["__PRECACHE__"]', "[" + ", ".join(f'"{u}"' for u in urls) + "]"
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest() -> Response:
    response = jsonify(
        {
            "name": _("Trivselsspor – offline-formularer"),
            "short_name": _("Trivselsspor"),
            "start_url": url_for("offline.app_page"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0f5a61",
            "lang": "da",
            "icons": [
                {
                    "src": url_for("static", filename=f"icons/icon-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in (192, 512)
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    return response

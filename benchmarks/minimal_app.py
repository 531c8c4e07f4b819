"""The yardstick of the load benchmark (`benchmarks/load_bench.py`): the smallest Flask app,
served by gunicorn with the same settings as Trivselsspor (`gunicorn.conf.py`), so that the
ratio of a page's throughput to this app's says how much of the framework's capacity the
page uses. One page, a short HTML answer from a template string; no database, no session.

    gunicorn -c gunicorn.conf.py 'benchmarks.minimal_app:app'
"""

from __future__ import annotations

from flask import Flask, render_template_string

app = Flask(__name__)

PAGE = "<!doctype html><html lang=da><title>{{ title }}</title><p>{{ text }}</p></html>"


@app.route("/")
def index() -> str:
    return render_template_string(PAGE, title="Trivselsspor", text="Hej")

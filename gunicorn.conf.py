"""gunicorn settings for Trivselsspor. gunicorn reads ./gunicorn.conf.py by default; the
README's deployment command names it (`-c gunicorn.conf.py`) all the same.

Answers do not name the server software: gunicorn writes "Server: gunicorn" into every
answer and has no setting to leave it out, so its default headers are filtered here, in the
master process, before the workers are forked. (The reverse proxy in front should not
announce itself either: nginx `server_tokens off`, or the headers-more module to drop
the header.)
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _without_server_header(self: wsgi.Response) -> list[str]:
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_header  # type: ignore[method-assign]

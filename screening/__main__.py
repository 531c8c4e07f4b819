"""The `screening` console script (and `python -m screening`): the same commands as
`flask --app screening ...`."""

from __future__ import annotations

from flask.cli import FlaskGroup

from screening import create_app


def main() -> None:
    """Entry point of the `screening` console script."""
    FlaskGroup(create_app=lambda: create_app())(prog_name="screening")


if __name__ == "__main__":
    main()

"""The action-path pages' blueprint, shared by the view modules of `screening.paths.views`."""

from flask import Blueprint

bp = Blueprint("paths", __name__)

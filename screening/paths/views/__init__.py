"""The action-path pages, one blueprint in three modules: `steps` (the path, its steps, the
duty-to-notify assessment, follow-ups, closing, the action plan), `meetings` (meetings,
invitations, consents) and `offers` (the offer catalogue and the momentum view)."""

from flask import Blueprint

bp = Blueprint("paths", __name__)

from screening.paths.views import meetings, offers, steps  # noqa: E402, F401  (routes on bp)

"""The action-path pages, one blueprint in three modules: `steps` (the path, its steps, the
duty-to-notify assessment, follow-ups, closing, the action plan), `meetings` (meetings,
invitations, consents) and `offers` (the offer catalogue and the momentum view)."""

from screening.paths.views import meetings, offers, steps  # noqa: F401  (their routes)
from screening.paths.views.blueprint import bp

__all__ = ["bp"]

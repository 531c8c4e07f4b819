"""The main menu (Hovedmenu): one list, drawn by `base.html` on every page and sent by
`/api/session` to the offline app, whose page is the same for everyone and so draws the
signed-in user's menu itself. Which items a user sees is asked of the policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from screening.core.policy import Action, can

if TYPE_CHECKING:
    from screening.accounts.models import User


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: LazyString
    # Endpoints (or "blueprint.*") under this item: it is marked as the current section.
    section: tuple[str, ...] = ()
    # Shown to a user who may do any of these; none: to everyone signed in.
    actions: tuple[Action, ...] = ()
    # Shown only to a user who works in at least one institution (their own day).
    needs_institution: bool = False

    def href(self) -> str:
        return url_for(self.endpoint)


MENU = (
    MenuItem("children.index", _l("I dag"), ("children.today_list",), needs_institution=True),
    MenuItem("children.institutions", _l("Dagtilbud"), ("children.*",), (Action.LIST_CHILDREN,)),
    MenuItem(
        "rounds.rounds",
        _l("Vurderingsrunder"),
        (
            "rounds.rounds",
            "rounds.edit_round",
            "rounds.round_status",
            "assessments.round_overview",
            "assessments.worklist",
            "assessments.assess",
            "assessments.view_assessment",
            "assessments.joint",
        ),
        (Action.VIEW_ASSESSMENTS, Action.MANAGE_ROUNDS),
    ),
    MenuItem(
        "offline.app_page", _l("Offline-formularer"), (), (Action.ASSESS, Action.ADD_OBSERVATION)
    ),
    MenuItem("figures.latest", _l("Nøgletal"), ("figures.*",), (Action.MUNICIPAL_OVERVIEW,)),
    MenuItem("paths.momentum", _l("Frister og fremdrift"), (), (Action.VIEW_MOMENTUM,)),
    MenuItem("paths.offers", _l("Tilbudsviften"), (), (Action.MANAGE_OFFERS, Action.VIEW_PATHS)),
    MenuItem(
        "org.index",
        _l("Administration"),
        ("org.institutions", "org.institution", "org.group", "org.create_group"),
        (Action.MANAGE_INSTITUTIONS,),
    ),
    MenuItem("accounts.users", _l("Brugere"), ("accounts.user",), (Action.MANAGE_USERS,)),
    MenuItem("org.roster", _l("Børneliste"), (), (Action.IMPORT_ROSTER,)),
    MenuItem("org.settings", _l("Indstillinger"), (), (Action.MANAGE_SETTINGS,)),
    MenuItem("reminders.notifications", _l("Påmindelser")),
    MenuItem("accounts.change_password", _l("Skift adgangskode")),
)


def main_menu(user: User) -> list[MenuItem]:
    """The items the user may see, in menu order."""
    return [
        m
        for m in MENU
        if (not m.actions or any(can(user, a) for a in m.actions))
        and (not m.needs_institution or user.institution_ids)
    ]


def menu_json(user: User) -> list[dict[str, str]]:
    """The menu for the offline app: label and address of each item."""
    return [
        {"label": str(m.label), "href": m.href(), "endpoint": m.endpoint} for m in main_menu(user)
    ]

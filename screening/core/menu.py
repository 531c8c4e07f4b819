"""The main menu (Hovedmenu): one list, drawn by `base.html` on every page and sent by
`/api/session` to the offline app, whose page is the same for everyone and so draws the
signed-in user's menu itself. Which items a user sees is asked of the policy."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import request, url_for
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

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

_BY_ENDPOINT = {m.endpoint: m for m in MENU}


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


def nav_html(items: list[MenuItem], unread: int) -> Markup:
    """The menu's list items as `base.html` draws them, the page's own item marked. Drawn
    once per set of items, language, page and unread count in a process and kept (the 512
    most recently used combinations): the same for every user with the same items. The
    key is the locale, not its catalogue: a catalogue is loaded once per process."""
    return _nav_html(
        tuple(item.endpoint for item in items),
        str(get_locale()),
        request.endpoint or "",
        request.blueprint or "",
        int(unread),
        request.script_root,
    )


@lru_cache(maxsize=512)
def _nav_html(
    endpoints: tuple[str, ...],
    locale: str,
    endpoint: str,
    blueprint: str,
    unread: int,
    script_root: str,
) -> Markup:
    lines = []
    for item in (_BY_ENDPOINT[e] for e in endpoints):
        label = str(item.label)
        if item.endpoint == "reminders.notifications":
            section: tuple[str, ...] = ()
            if unread:
                label = f"{label} ({unread})"
        else:
            section = item.section
        if endpoint == item.endpoint:
            line = _CURRENT.format(item.href(), "page", label)
        elif endpoint in section or (blueprint and f"{blueprint}.*" in section):
            line = _CURRENT.format(item.href(), "true", label)
        else:
            line = _ITEM.format(item.href(), label)
        lines.append(line)
    return Markup("\n        ").join(lines)


# Markup's format escapes what is put in.
_ITEM = Markup('<li><a href="{}">{}</a></li>')
_CURRENT = Markup('<li><a href="{}" aria-current="{}">{}</a></li>')

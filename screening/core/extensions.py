"""Every Flask extension instance, created unbound and initialised in `create_app`; and
`Model`, the base class of every model."""

from typing import TYPE_CHECKING, Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    Model = Base  # what type checkers see: the typed declarative base
else:
    Model = db.Model  # Flask-SQLAlchemy's model class, built on `Base`


class LazyMigrate:
    """Flask-Migrate for one app, made on first use: `create_app` puts this in
    `app.extensions["migrate"]`, and the first attribute read (by `flask db …`,
    `flask_migrate.upgrade()` or a test) imports Flask-Migrate and Alembic (about 11 MB
    and a tenth of a second at start-up), registers the real extension and answers from
    it. A web worker never reads it, so it never loads them (issue 17). The `flask db`
    command is registered without it (`screening.cli.db_command` forwards to Flask-Migrate's
    own group when it runs)."""

    def __init__(self, app: Any, **options: Any) -> None:
        self._app = app
        self._options = options
        self._real: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._real is None:
            from flask_migrate import Migrate

            Migrate(self._app, db, **self._options)  # replaces this in app.extensions
            self._real = self._app.extensions["migrate"]
        return getattr(self._real, name)


csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
mail = Mail()  # the reminder digests; off while MAIL_SERVER is unset

"""The platform's Flask extensions, created unbound and initialised by the app factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_security import Security
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from quest_platform.passwords import LocalizedPasswordUtil

# Named constraints let Alembic alter and drop them, on SQLite too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # Models subclass Model: a type checker cannot take an attribute (db.Model) as a base class,
    # and db.Model is made of Base's bases and body (plus Flask-SQLAlchemy's query property).
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
security = Security(password_util_cls=LocalizedPasswordUtil)
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)

"""Quest Platform: runs a hands-on computer-science sprint for a class."""

from __future__ import annotations

from typing import Any

from flask import Flask

from quest_platform.config import INSTANCE_DIR, Config, config_for


def create_app(config: type[Config] | str | None = None, **overrides: Any) -> Flask:
    """Build the platform's Flask application from a configuration and optional overrides."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=True)
    load_config(app, config, overrides)

    from admin_views import register_admin
    from quest_platform.api import register_api
    from quest_platform.auth import register_security
    from quest_platform.blueprints import register_blueprints
    from quest_platform.database import register_database
    from quest_platform.errors import register_error_pages
    from quest_platform.http_headers import register_security_headers
    from quest_platform.i18n import register_i18n
    from quest_platform.live import init_live
    from quest_platform.request_input import register_request_checks
    from quest_platform.urls import register_url_converters

    register_url_converters(app)
    register_database(app)
    register_i18n(app)
    register_security(app)
    register_blueprints(app)
    init_live(app)
    register_api(app)
    register_admin(app)
    register_error_pages(app)
    register_request_checks(app)
    register_security_headers(app)
    return app


def load_config(app: Flask, config: type[Config] | str | None, overrides: dict[str, Any]) -> None:
    """Load a configuration class, apply overrides, and let the class check the result."""
    config_class = config if isinstance(config, type) else config_for(config)
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.prepare(app.config)

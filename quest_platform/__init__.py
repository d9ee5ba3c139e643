"""Quest Platform: runs a hands-on computer-science sprint for a class."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from quest_platform.config import INSTANCE_DIR, Config, config_for


class QuestPlatform(Flask):
    """The platform's Flask application: an outage is logged in one line, not a traceback."""

    def log_exception(
        self, exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None]
    ) -> None:
        """Log an unexpected error; one that says a service is down (the database, Redis, the
        disk) in one line, since an outage fails every request alike until it ends."""
        from quest_platform.errors import causes, outage

        if (down := outage(exc_info[1])) is None:
            super().log_exception(exc_info)
            return
        first = list(causes(exc_info[1]))[-1]
        self.logger.warning(
            "%s [%s] answered 503, %s unavailable: %s: %s",
            request.path,
            request.method,
            down,
            type(first).__name__,
            " ".join(str(first).split())[:300],
        )


def create_app(config: type[Config] | str | None = None, **overrides: Any) -> Flask:
    """Build the platform's Flask application from a configuration and optional overrides."""
    app = QuestPlatform(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=True)
    load_config(app, config, overrides)

    from admin_views import register_admin
    from quest_platform.api import register_api
    from quest_platform.auth import register_security
    from quest_platform.blueprints import register_blueprints
    from quest_platform.database import register_database
    from quest_platform.errors import register_error_pages
    from quest_platform.health.checks import announce_unreachable_redis
    from quest_platform.http_headers import register_security_headers
    from quest_platform.i18n import register_i18n
    from quest_platform.live import init_live
    from quest_platform.observability import register_observability
    from quest_platform.request_ids import register_request_ids
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
    register_request_ids(app)
    register_observability(app)
    announce_unreachable_redis(app)
    trust_proxies(app)
    return app


def load_config(app: Flask, config: type[Config] | str | None, overrides: dict[str, Any]) -> None:
    """Load a configuration class, apply overrides, and let the class check the result."""
    config_class = config if isinstance(config, type) else config_for(config)
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.prepare(app.config)


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT proxies, take the client's address and scheme from their headers, so
    that limits per address count people, not the proxy. Applied last: every other layer sees
    the client's address."""
    if hops := app.config.get("PROXY_COUNT", 0):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

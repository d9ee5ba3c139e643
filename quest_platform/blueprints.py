"""The platform's blueprints, registered in one place."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register the public pages, the account pages, the student portal, the leaderboards,
    the code races and the live games."""
    from quest_platform.accounts.routes import bp as accounts_bp
    from quest_platform.games.routes import bp as games_bp
    from quest_platform.leaderboards.routes import bp as leaderboards_bp
    from quest_platform.pages.routes import bp as pages_bp
    from quest_platform.portal.routes import bp as portal_bp
    from quest_platform.races.routes import bp as races_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(leaderboards_bp)
    app.register_blueprint(races_bp)
    app.register_blueprint(games_bp)

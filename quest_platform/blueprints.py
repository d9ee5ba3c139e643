"""The platform's blueprints, registered in one place."""

from __future__ import annotations

from flask import Flask

from quest_platform.extensions import csrf


def register_blueprints(app: Flask) -> None:
    """Register the health checks and metrics, the public pages, the account pages, the student
    portal, the leaderboards, the code races, the live games, feedback conversations, peer
    reviews, office hours, portfolios and GitHub's webhook."""
    from quest_platform.accounts.routes import bp as accounts_bp
    from quest_platform.feedback.routes import bp as feedback_bp
    from quest_platform.games.routes import bp as games_bp
    from quest_platform.github.routes import bp as github_bp
    from quest_platform.health.routes import bp as health_bp
    from quest_platform.leaderboards.routes import bp as leaderboards_bp
    from quest_platform.observability.metrics import bp as metrics_bp
    from quest_platform.office_hours.routes import bp as office_hours_bp
    from quest_platform.pages.routes import bp as pages_bp
    from quest_platform.peer_review.routes import bp as peer_review_bp
    from quest_platform.portal.routes import bp as portal_bp
    from quest_platform.portfolio.routes import bp as portfolio_bp
    from quest_platform.races.routes import bp as races_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(leaderboards_bp)
    app.register_blueprint(races_bp)
    app.register_blueprint(games_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(peer_review_bp)
    app.register_blueprint(office_hours_bp)
    app.register_blueprint(portfolio_bp)
    # GitHub's webhook: its deliveries are signed by GitHub instead of carrying a CSRF token.
    csrf.exempt(github_bp)
    app.register_blueprint(github_bp)

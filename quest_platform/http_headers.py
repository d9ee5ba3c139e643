"""Security headers sent with every response."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, session


def csp_nonce() -> str:
    """This response's nonce for inline scripts; pages that ask for one get it in their CSP."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def script_styling_nonce() -> str:
    """This response's nonce, for a script that adds a ``<style>`` element with it as well.

    The code editor (CodeMirror) keeps its base styles in a style element; the policy then lets
    that one element in, and no other inline style.
    """
    g.csp_styles = True
    return csp_nonce()


def content_security_policy() -> str:
    """The configured policy, allowing this response's nonced scripts if a page used a nonce
    (and its nonced style elements, if a page asked for them)."""
    policy: str = current_app.config["CONTENT_SECURITY_POLICY"]
    if "csp_nonce" in g:
        nonce = f"'nonce-{g.csp_nonce}'"
        policy = policy.replace("script-src 'self'", f"script-src 'self' {nonce}")
        if g.get("csp_styles"):
            policy = policy.replace("style-src 'self'", f"style-src 'self' {nonce}")
    return policy


def add_security_headers(response: Response) -> Response:
    """Add the Content-Security-Policy and the other protective headers."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Personal pages must not be kept by the browser or a shared proxy after logging out.
    # A signed-in session, or a user this request loaded (the user is not loaded only for this).
    user = g.get("_login_user")
    if "_user_id" in session or (user is not None and user.is_authenticated):
        headers["Cache-Control"] = "no-store"
    return response


def register_security_headers(app: Flask) -> None:
    """Send the security headers with every response."""
    app.jinja_env.globals["script_styling_nonce"] = script_styling_nonce
    app.after_request(add_security_headers)

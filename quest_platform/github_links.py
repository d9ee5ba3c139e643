"""GitHub's names and addresses: logins, and the links to pull requests, commits and issues that
students hand in as checkpoint evidence.

Pure functions of text: no database, no request. An evidence link is checked for shape only
(nobody asks GitHub whether it exists) and kept in one normal form, so that the same pull request
written two ways is one link: ``https://github.com/<owner>/<repo>/pull/<number>``, ``.../commit/
<7 to 40 hex digits>`` or ``.../issues/<number>``, on github.com only, with no query or fragment.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import ngettext

# A GitHub login (an account's or an organization's): 1 to 39 letters, digits and single
# hyphens, neither first nor last.
LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
LOGIN_PATTERN = re.compile(LOGIN)
MAX_LOGIN_LENGTH = 39
# A repository's name: letters, digits, dots, hyphens and underscores, at most 100 of them.
REPOSITORY = r"[A-Za-z0-9._-]{1,100}"
# The longest evidence link read: the longest owner, repository and commit hash fit in it.
MAX_LINK_LENGTH = 300
# How many links one checkpoint answer holds.
MAX_LINKS = 5
# Pull request and issue numbers are GitHub's 32-bit integers.
LARGEST_NUMBER = 2**31 - 1
GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
LINK_PATTERN = re.compile(
    rf"https?://(?:www\.)?github\.com/(?P<owner>{LOGIN})/(?P<repository>{REPOSITORY})"
    r"/(?P<path>pull|commit|issues)/(?P<ref>[0-9]{1,10}|[0-9a-fA-F]{7,40})/?",
    re.IGNORECASE,
)


class LinkKind(enum.StrEnum):
    """What an evidence link points at."""

    PULL_REQUEST = "pull_request"
    COMMIT = "commit"
    ISSUE = "issue"


# The part of the address that names each kind, and back.
KIND_PATHS = {LinkKind.PULL_REQUEST: "pull", LinkKind.COMMIT: "commit", LinkKind.ISSUE: "issues"}
PATH_KINDS = {path: kind for kind, path in KIND_PATHS.items()}


@dataclass(frozen=True)
class EvidenceLink:
    """A link to a pull request, a commit or an issue on GitHub, in its normal form.

    ``ref`` is the number of a pull request or an issue, or a commit's hash (lower case).
    """

    kind: LinkKind
    owner: str
    repository: str
    ref: str

    @property
    def full_name(self) -> str:
        """The repository as GitHub names it: ``owner/repository``."""
        return f"{self.owner}/{self.repository}"

    @property
    def url(self) -> str:
        """The link's address, in its normal form."""
        return f"https://github.com/{self.full_name}/{KIND_PATHS[self.kind]}/{self.ref}"

    def document(self) -> dict[str, str]:
        """The link as an attempt's answer keeps it (``answer["links"]``)."""
        return {
            "url": self.url,
            "kind": self.kind.value,
            "repository": self.full_name,
            "ref": self.ref,
        }


def is_github_login(text: str) -> bool:
    """Whether ``text`` has the shape of a GitHub login."""
    return bool(LOGIN_PATTERN.fullmatch(text))


def evidence_link(text: str) -> EvidenceLink:
    """The evidence link ``text`` names, in its normal form.

    Raises ValueError with a message for the student (the address named in it) when ``text``
    is not the address of a pull request, a commit or an issue on github.com, or carries a query
    or a fragment ("?..." or "#...").
    """
    address = text.strip()
    if address.lower().startswith(("github.com/", "www.github.com/")):
        # Copied from the address bar, which often hides the scheme.
        address = "https://" + address
    shown = address if len(address) <= 80 else address[:77] + "..."
    if len(address) > MAX_LINK_LENGTH:
        raise ValueError(
            ngettext(
                "Keep each link under %(num)d character.",
                "Keep each link under %(num)d characters.",
                MAX_LINK_LENGTH,
            )
        )
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        parts, host, port = None, None, None
    if parts is not None and parts.scheme.lower() in {"http", "https"}:
        if host not in GITHUB_HOSTS or port is not None or "@" in parts.netloc:
            raise ValueError(_("“%(url)s” is not on github.com: give a link to GitHub.", url=shown))
        if parts.query or parts.fragment or "?" in address or "#" in address:
            raise ValueError(
                _(
                    "Leave out the part after “?” or “#” in “%(url)s”: give the address of"
                    " the pull request, commit or issue itself.",
                    url=shown,
                )
            )
    match = LINK_PATTERN.fullmatch(address)
    kind = PATH_KINDS.get(match["path"].lower()) if match else None
    ref = match["ref"] if match else ""
    if (
        match is None
        or kind is None
        or not matches_kind(kind, ref)
        or match["repository"]
        in {
            ".",
            "..",
        }
    ):
        raise ValueError(
            _(
                "“%(url)s” is not the address of a pull request, a commit or an issue on GitHub,"
                " such as https://github.com/owner/repository/pull/12.",
                url=shown,
            )
        )
    return EvidenceLink(
        kind=kind,
        owner=match["owner"],
        repository=match["repository"],
        ref=ref.lower() if kind == LinkKind.COMMIT else str(int(ref)),
    )


def matches_kind(kind: LinkKind, ref: str) -> bool:
    """Whether ``ref`` names a commit (7 to 40 hex digits) or a number (pull request, issue)."""
    if kind == LinkKind.COMMIT:
        return 7 <= len(ref) <= 40 and all(c in "0123456789abcdefABCDEF" for c in ref)
    return ref.isdigit() and 1 <= int(ref) <= LARGEST_NUMBER


def evidence_links(value: Any) -> tuple[EvidenceLink, ...]:
    """The evidence links of a submitted list of addresses, without blanks or repeats.

    Raises ValueError with a message for the student when ``value`` is not a list of texts,
    holds more than MAX_LINKS links, or any of them is not a link :func:`evidence_link` takes.
    """
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValueError(_("Send your links as a list of addresses."))
    links: dict[str, EvidenceLink] = {}
    for item in value:
        if item.strip():
            link = evidence_link(item)
            # The same pull request written twice (or in other capitals) is one link.
            links.setdefault(link.url.lower(), link)
    if len(links) > MAX_LINKS:
        raise ValueError(
            ngettext("Give at most %(num)d link.", "Give at most %(num)d links.", MAX_LINKS)
        )
    return tuple(links.values())

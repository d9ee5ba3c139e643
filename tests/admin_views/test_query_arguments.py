"""Query arguments of the admin's lists, details and exports: bad ones get a 4xx page, never a 500.

An id names at most the largest record a table holds; a page, a sort column, a page size, a
filter's value and a search have their bounds. Outside them the answer is a page in the site's
design that says what was wrong (400), or "not found" for an id (404), and no query runs.
The property-based test generates arguments of every kind for every list, details, edit, export
and lookup address of the admin, as a teacher and as an administrator.
"""

from __future__ import annotations

import re
import string

import pytest
from helpers import is_site_page, post_form
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

BEYOND_64_BITS = "99999999999999999999999"
BEYOND_ANY_TABLE = str(2**31)
VIEWS = ["classroom", "user", "quest", "assignment", "attempt", "time-extension", "award", "audit"]
# Each view's filters, by the name they have in the address.
FILTERS = {
    "classroom": [],
    "user": ["classroom", "role", "active", "last_seen"],
    "quest": ["status", "author"],
    "assignment": ["classroom", "quest", "status"],
    "attempt": ["classroom", "quest", "kind", "outcome", "date"],
    "time-extension": ["classroom", "quest"],
    "award": ["classroom", "quest", "achievement"],
    "audit": ["action", "table", "actor", "date"],
}
ID_FILTERS = {"classroom", "quest", "achievement", "actor"}
# Filters on a word the records hold (the audit log's actions and tables): any such word is a
# choice, which may match nothing.
WORD_FILTERS = {"action", "table"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def as_teacher(client, school, login_as):
    login_as(school.teacher)
    return client


def refused(response, message: str) -> bool:
    """Whether ``response`` is a 400 page of the site saying ``message``."""
    page = text_of(response)
    return response.status_code == 400 and is_site_page(page) and message in page


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("value", [BEYOND_64_BITS, BEYOND_ANY_TABLE, "-1", "²", "１", "1e3", ""])
def test_a_record_id_that_names_nothing_is_not_found(view, value, as_teacher):
    response = as_teacher.get(f"/admin/{view}/details/", query_string={"id": value})
    if value == "":
        # No record asked for: back to the list, or not found.
        assert response.status_code in {302, 404}
    else:
        assert response.status_code == 404
        assert is_site_page(text_of(response))


@pytest.mark.parametrize("view", VIEWS)
def test_editing_or_deleting_an_id_beyond_any_table_is_not_found(view, as_teacher):
    edit = as_teacher.get(f"/admin/{view}/edit/", query_string={"id": BEYOND_64_BITS})
    # Read-only views have no edit page (back to the list).
    assert edit.status_code in {302, 404}
    url = f"/admin/{view}/"
    deleted = post_form(as_teacher, f"{url}delete/", {"id": BEYOND_64_BITS}, form_page=url)
    assert deleted.status_code in {302, 404}
    action = post_form(
        as_teacher,
        f"{url}action/",
        {"action": "delete", "confirmed": "yes", "rowid": [BEYOND_64_BITS, "²"], "url": url},
        form_page=url,
    )
    assert action.status_code == 302


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("page", BEYOND_64_BITS, "is not a page of this list"),
        ("page", "-1", "is not a page of this list"),
        ("page", "two", "is not a page of this list"),
        ("sort", "99", "cannot be sorted that way"),
        ("sort", "-1", "cannot be sorted that way"),
        ("sort", BEYOND_64_BITS, "cannot be sorted that way"),
        ("desc", "2", "cannot be sorted that way"),
        ("page_size", BEYOND_64_BITS, "rows a page"),
        ("page_size", "-5", "rows a page"),
        ("search", "a" * 100_000, "Search for at most"),
        ("search", "x " * 5_000, "Search for at most"),
    ],
)
def test_a_list_argument_out_of_bounds_is_refused_with_its_reason(
    view, argument, value, message, as_teacher
):
    for url in (f"/admin/{view}/", f"/admin/{view}/export/csv/", f"/admin/{view}/export/xlsx/"):
        assert refused(as_teacher.get(url, query_string={argument: value}), message), url


@pytest.mark.parametrize(
    ("view", "key"), [(view, key) for view, keys in FILTERS.items() for key in keys]
)
def test_a_filter_value_that_is_not_one_of_its_choices_is_refused(view, key, as_teacher):
    values = ["²", "1" * 5_000, "two words", "Ünïcode"]
    if key not in WORD_FILTERS:
        values.append("nonsense")
    if key in ID_FILTERS:
        values += [BEYOND_64_BITS, BEYOND_ANY_TABLE, "-1", "１"]
    for value in values:
        for url in (f"/admin/{view}/", f"/admin/{view}/export/csv/"):
            response = as_teacher.get(url, query_string={f"flt0_{key}": value})
            assert refused(response, "has no such choice"), (url, value[:40])


@pytest.mark.parametrize("view", VIEWS)
def test_arguments_within_bounds_still_work(view, as_teacher, school):
    for key in FILTERS[view]:
        query = {f"flt0_{key}": "", "page": "0", "sort": "0", "desc": "1", "search": "Ana Lee"}
        assert as_teacher.get(f"/admin/{view}/", query_string=query).status_code == 200


def test_an_id_filter_reaches_a_real_record(as_teacher, school):
    query = {"flt0_classroom": str(school.classroom.id)}
    page = text_of(as_teacher.get("/admin/user/", query_string=query))
    assert school.student.username in page


@pytest.mark.parametrize("view", VIEWS)
def test_a_lookup_with_an_offset_beyond_any_table_is_refused(view, as_teacher):
    query = {"name": "classroom", "query": "a", "offset": BEYOND_64_BITS, "limit": "-1"}
    response = as_teacher.get(f"/admin/{view}/ajax/lookup/", query_string=query)
    assert 400 <= response.status_code < 500


# The property: whatever the arguments, no admin address answers with a server error.

# Names of query arguments the admin reads, and some it does not.
ARGUMENTS = [
    "id",
    "page",
    "page_size",
    "sort",
    "desc",
    "search",
    "name",
    "query",
    "offset",
    "limit",
    "url",
    "student",
    "stage",
    "kind",
    "modal",
]
FILTER_KEYS = sorted({key for keys in FILTERS.values() for key in keys} | {"", "x", "1", "é"})
TRICKY = [
    "",
    "0",
    "-0",
    "+1",
    " 1",
    "1 ",
    "0x1f",
    "1e309",
    "NaN",
    "inf",
    "²",
    "１２",
    "٣",
    BEYOND_64_BITS,
    BEYOND_ANY_TABLE,
    str(2**63),
    str(-(2**63) - 1),
    "9999-12-31T23:59",
    "0000-00-00",
    "2024-02-30T25:61",
    "today",
    "7",
    "30",
    "passed",
    "pending_review",
    "lesson",
    "mine",
    "\x00",
    "a\x00b",
    "%",
    "_",
    "^a",
    "=a",
    "'; --",
]
values = st.one_of(
    st.sampled_from(TRICKY),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.integers(min_value=0, max_value=60).map(str),
    st.text(max_size=20),
    st.text(alphabet=string.digits + "-+ .", max_size=25),
    # Long text, and text of many words (each word is one more condition in a search).
    st.builds(
        lambda part, times: part * times,
        st.sampled_from(["a", "é", "%", "x "]),
        st.integers(50, 100_000),
    ),
)
names = st.one_of(
    st.sampled_from(ARGUMENTS),
    st.builds(lambda n, key: f"flt{n}_{key}", st.integers(0, 3), st.sampled_from(FILTER_KEYS)),
    st.builds(lambda text: f"flt{text}", st.text(max_size=8)),
)
query_arguments = st.dictionaries(names, values, max_size=5)


def admin_addresses(app) -> list[str]:
    """Every list, details, edit, export and lookup address of the admin's model views."""
    kinds = {"index_view", "details_view", "edit_view", "create_view", "ajax_lookup"}
    addresses = []
    for rule in app.url_map.iter_rules():
        kind = rule.endpoint.rpartition(".")[2]
        if not rule.rule.startswith("/admin/") or "GET" not in rule.methods:
            continue
        if kind in kinds:
            addresses.append(rule.rule)
        elif kind == "export":
            addresses += [rule.rule.replace("<export_type>", kind) for kind in ("csv", "xlsx")]
    return sorted(addresses)


def test_every_model_view_is_covered(app):
    addresses = admin_addresses(app)
    for view in VIEWS:
        assert f"/admin/{view}/" in addresses
        assert f"/admin/{view}/details/" in addresses
        assert f"/admin/{view}/export/xlsx/" in addresses
    assert not [address for address in addresses if re.search(r"<\w+>", address)]


@pytest.fixture(params=["teacher", "admin"])
def staff(request, client, school, login_as):
    """A client signed in as a teacher, then as an administrator."""
    return login_as(school.person(request.param))


@settings(
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=None,
    # One school and one signed-in client for all the examples of a test: GET requests change
    # nothing, so the examples need no database of their own.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_no_query_arguments_make_an_admin_page_fail(data, app, staff):
    address = data.draw(st.sampled_from(admin_addresses(app)), label="address")
    arguments = data.draw(query_arguments, label="arguments")
    response = staff.get(address, query_string=arguments)
    # Seen with --hypothesis-show-statistics: how many examples reached a page, were refused...
    event(f"status {response.status_code}")
    assert response.status_code < 500

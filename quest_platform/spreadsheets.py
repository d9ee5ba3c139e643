"""Cells for spreadsheets: what the platform exports opens as plain text, never as a formula."""

from __future__ import annotations

import re
from typing import Any

# A spreadsheet reads a cell that starts like this as a formula: someone who chose such a name
# could make a teacher's export run it. A leading apostrophe keeps the cell plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters that an XLSX file cannot hold (tab, newline and return are allowed).
NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_safe(value: Any) -> Any:
    """An exported value that a spreadsheet shows as text: never a formula, never unreadable."""
    if not isinstance(value, str):
        return value
    value = NOT_IN_XLSX.sub("", value)
    return f"'{value}" if value.startswith(FORMULA_START) else value

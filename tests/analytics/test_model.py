"""The shipped quest model: read from its file once per process, and it reads sensibly."""

from __future__ import annotations

import pytest

from analytics.model import read_model, shipped_model, write_model

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent


def test_the_shipped_model_is_read_once_and_reads_sensibly():
    model = shipped_model()
    assert shipped_model() is model
    weights = model.coefficients
    assert weights["progress"] > 0
    assert weights["earlier_stages_left"] < 0
    assert weights["inactive_days"] < 0
    assert weights["time_used"] < 0


def test_a_model_written_to_a_file_reads_back_the_same(tmp_path):
    path = tmp_path / "model.json"
    write_model(shipped_model(), path)
    # JSON keeps every digit of a float, so the numbers come back exactly.
    assert read_model(path).parameters() == shipped_model().parameters()

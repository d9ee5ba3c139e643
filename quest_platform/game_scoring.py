"""Scoring a live game's answers: Kahoot's rule by default, with the host's settings.

A correct answer earns ``round((1 − (t/T)/2) × P)``: all of P (1000 by default) at once, half of
it at the last moment, where t is how long the player took and T the time they had (their extra
time included, so a student with more time is not paid less for using it). With speed scoring
off, or on an untimed question, a correct answer earns P. A wrong or missing answer earns
nothing. With streaks on, each correct answer after the first in a row adds 100, up to 500.
Halves round up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Points a question is worth, as the host chooses: none (practice), standard or double.
POINT_CHOICES = (0, 1000, 2000)
STREAK_STEP = 100
STREAK_CAP = 500


@dataclass(frozen=True)
class ScoringRules:
    """A game's scoring settings."""

    points: int = 1000
    speed: bool = True
    streaks: bool = True


def answer_points(
    rules: ScoringRules, *, correct: bool, elapsed: float, allowed: float | None
) -> int:
    """The points of one answer before any streak bonus.

    ``elapsed`` is the seconds the player took; ``allowed`` their time (None: untimed).
    """
    if not correct or rules.points == 0:
        return 0
    if not rules.speed or allowed is None or allowed <= 0:
        return rules.points
    share = min(max(elapsed / allowed, 0.0), 1.0)
    return math.floor((1 - share / 2) * rules.points + 0.5)


def streak_bonus(rules: ScoringRules, streak: int) -> int:
    """The bonus of the ``streak``-th correct answer in a row (1 for the first: no bonus)."""
    if not rules.streaks or rules.points == 0 or streak < 2:
        return 0
    return min(STREAK_STEP * (streak - 1), STREAK_CAP)

"""Fictional names for demo students, drawn deterministically from a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST_NAMES = (
    "Aiden", "Amara", "Ana", "Andre", "Aria", "Ben", "Camila", "Chloe", "Daniel", "Diego",
    "Elena", "Eli", "Emma", "Ethan", "Fatima", "Gabriel", "Grace", "Hana", "Isaac", "Isabella",
    "Jada", "Jamal", "Jasmine", "Kai", "Kenji", "Layla", "Leo", "Lucia", "Malik", "Maya",
    "Mateo", "Mia", "Nadia", "Noah", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Ryan",
    "Sami", "Sofia", "Tariq", "Tessa", "Theo", "Valeria", "Victor", "Wren", "Yara", "Zane",
)  # fmt: skip
LAST_NAMES = (
    "Alvarez", "Brooks", "Castillo", "Dang", "Ellison", "Flores", "Garcia", "Haddad", "Ito",
    "Jensen", "Kim", "Lopez", "Mendoza", "Nguyen", "Okafor", "Park", "Quintero", "Reyes",
    "Silva", "Tanaka", "Usman", "Vargas", "Walker", "Xu", "Yilmaz", "Zamora",
)  # fmt: skip


@dataclass(frozen=True)
class FictionalStudent:
    """A made-up student: nobody real is ever seeded."""

    first_name: str
    last_name: str
    username: str

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def make_students(*, seed: int, count: int, prefix: str = "") -> list[FictionalStudent]:
    """Return ``count`` fictional students with unique usernames, the same for the same seed."""
    rng = random.Random(seed)
    students, taken = [], set()
    while len(students) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{prefix}{first}.{last[0]}".lower()
        username = base
        number = 2
        while username in taken:
            username = f"{base}{number}"
            number += 1
        taken.add(username)
        students.append(FictionalStudent(first, last, username))
    return students

"""Run the benchmarks: `make bench` (or `python -m bench`), figures as ratios to a baseline.

The platform and the baseline (bare Flask, bench/baseline.py) run under gunicorn on loopback with
the same worker settings, against one database seeded with the demo (SQLite in a temporary
folder, or a schema of its own in BENCH_DATABASE_URL's PostgreSQL database; bench/harness.py),
and wrk loads them (bench/wrk.py). One module per scenario:

  portal     (the default, bench/portal.py) a student's pages and quiz answers, in rounds, each
             page against the baseline run just before it, each answer against the floor
  answers    (bench/answers.py, PostgreSQL) 40 students of one classroom answering at once under
             2 and 8 gunicorn workers, with the lock waits they cause
  costs      (bench/request_cost.py, bench/answer_cost.py) where a signed-in request and a quiz
             answer spend their time, in process
  admin      (bench/admin.py) the admin's attempts list at school scale, next to its bare SQL
  analytics  (bench/analytics.py) the teacher dashboard at the demo's scale, then the reports at
             school scale
  grading    (bench/grading.py) students' code graded in sandboxes against the same code with
             rlimits only; a class's burst of submissions, and a page's p99 during it
  faults     (bench/faults.py, root) 30 students answering while PostgreSQL restarts, workers
             die, Redis goes away and the upload disk fills, on servers of the run's own;
             every status they saw, answers acknowledged against stored, the points ledger
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.admin import run_admin
from bench.analytics import run_analytics
from bench.answers import run_answers
from bench.faults import run_faults
from bench.games import run_games
from bench.grading import run_grading
from bench.harness import ROOT, bench_database, run_manage, seed_classroom
from bench.portal import run_portal

# The options each scenario takes (any other is refused), and its defaults.
LOAD = {"seconds": 10.0, "connections": 4, "threads": 2, "workers": [2]}
CLASSROOM = {"rounds": 3, "classroom_size": 200, "answering": 40, "quests": 4}
SCHOOL = {"students": 10_000, "quests": 14}
SCENARIOS = {
    "portal": LOAD | CLASSROOM,
    "answers": LOAD | CLASSROOM | {"workers": [2, 8]},
    "costs": CLASSROOM,
    "admin": LOAD | SCHOOL,
    "analytics": LOAD | SCHOOL,
    "grading": LOAD | {"seconds": 5.0, "rounds": 3},
    "games": {"rounds": 5, "players": [60, 200, 1000]},
    # --seconds: the calm after each fault (an outage lasts 0.8 of it); servers of its own.
    "faults": {"seconds": 10.0, "workers": [3], "classroom_size": 30},
}


def arguments() -> argparse.Namespace:
    """The command line, refused with a plain message when a value makes no sense."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", nargs="?", choices=list(SCENARIOS), default="portal")
    parser.add_argument("--seconds", type=float, help="measured seconds of each run (10)")
    parser.add_argument("--connections", type=int, help="wrk connections (4)")
    parser.add_argument("--threads", type=int, help="wrk threads (2)")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        help="gunicorn workers (2); answers: one count or more (2 8)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="portal, answers: runs of each endpoint, each after a run of the baseline; "
        "grading: of each figure, each after its baseline; costs: rounds of answers (3); "
        "games: questions of each game (5)",
    )
    parser.add_argument("--classroom-size", type=int, help="students in the big classroom (200)")
    parser.add_argument("--answering", type=int, help="students answering in turn or at once (40)")
    parser.add_argument(
        "--students", type=int, help="admin, analytics: school scale students (10000)"
    )
    parser.add_argument(
        "--quests",
        type=int,
        help="quests' worth of attempts per student (admin, analytics 14; else 4)",
    )
    parser.add_argument(
        "--players", type=int, nargs="+", help="games: players of each game (60 200 1000)"
    )
    args = parser.parse_args()
    takes = SCENARIOS[args.scenario]
    for name, value in vars(args).items():
        if name == "scenario":
            continue
        option = "--" + name.replace("_", "-")
        if value is None:
            setattr(args, name, takes.get(name))
        elif name not in takes:
            parser.error(f"the {args.scenario} scenario takes no {option}")
        elif min(value if isinstance(value, list) else [value]) < 1:
            parser.error(f"{option} must be at least 1")
    if "threads" in takes and args.threads > args.connections:
        parser.error("--threads cannot exceed --connections (each wrk thread needs one)")
    if "workers" in takes and args.scenario != "answers" and len(args.workers) > 1:
        parser.error("only the answers scenario takes more than one --workers count")
    if "answering" in takes and args.answering > args.classroom_size:
        parser.error("--answering cannot exceed --classroom-size")
    return args


def main() -> None:
    """Seed a bench database, run the scenario, print its tables."""
    args = arguments()
    if args.scenario == "faults":
        run_faults(args)
        return
    begun = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="quest-bench-") as folder,
        bench_database(Path(folder)) as database,
    ):
        env = {
            **os.environ,
            "QUEST_ENV": "production",
            "QUEST_INSTANCE_DIR": folder,
            "DATABASE_URL": database,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(48),
            # Many students sign in from loopback, some more than once, and the seeded
            # usernames come back in every run: in Redis, an account's count of tries outlives
            # the run (an address's counts only the failed ones).
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        }
        run_manage("db", "upgrade", env=env)
        run_manage("seed", "--demo", "--force", env=env)
        where = {"env": env, "database": database}
        if args.scenario == "portal":
            run_portal(args, **where, folder=Path(folder))
        elif args.scenario == "answers":
            run_answers(args, **where)
        elif args.scenario == "costs":
            costs(args, **where)
        elif args.scenario == "admin":
            run_admin(args, **where, folder=Path(folder))
        elif args.scenario == "grading":
            run_grading(args, **where, folder=Path(folder))
        elif args.scenario == "games":
            run_games(args, **where, folder=Path(folder))
        else:
            run_analytics(args, **where, folder=Path(folder))
    print(f"\nthe scenario took {time.monotonic() - begun:.0f} s in all, seeding included")


def costs(args: argparse.Namespace, *, env: dict[str, str], database: str) -> None:
    """The portal's classroom, then bench/request_cost.py and bench/answer_cost.py."""
    facts = seed_classroom(
        env, database, students=args.classroom_size, quests=args.quests, quizzes=args.rounds
    )
    answer_options = ["--rounds", str(args.rounds), "--students", str(args.answering), "--explain"]
    for script, options in (("bench.request_cost", []), ("bench.answer_cost", answer_options)):
        print(f"\n{script}", flush=True)
        subprocess.run(
            [sys.executable, "-m", script, json.dumps(facts), *options],
            cwd=ROOT,
            env=env,
            check=True,
        )


if __name__ == "__main__":
    main()

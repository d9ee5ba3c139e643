"""Leaderboards: a classroom's points ranking and each of its quests', as a page and as JSON."""

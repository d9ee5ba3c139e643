"""GitHub's webhook deliveries to a classroom (see routes.py and services/github.py)."""

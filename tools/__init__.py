"""Tools for people working on the platform (screenshots); never part of the app or the tests."""

"""Benchmarks: platform pages against a bare-Flask baseline on the same server and database."""

"""Jupyter notebooks in and out: a notebook read as a plan for a quest, a quest written as one.

Pure functions (no database, no files). Reading starts in ``reading`` (``read_notebook``):
``validation`` checks the file is a notebook; ``cells`` reads what a cell says of itself;
``markdown_cells`` and ``code_cells`` turn cells into stages, with ``conventions`` for tagged
cells' text; ``plan`` holds the result (stages, images, notes, problems). ``writing`` turns a
quest into a notebook, and ``vocabulary`` holds the tags, metadata keys and limits both sides
share (docs/notebooks.md). ``services/notebooks.py`` applies a plan in one transaction.
"""

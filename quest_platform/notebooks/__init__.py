"""Jupyter notebooks in and out: a notebook read as a plan for a quest, a quest written as one.

Pure functions (no database, no files): ``reading`` turns a notebook's bytes into a
:class:`~quest_platform.notebooks.reading.NotebookPlan` of stages, images, notes and problems;
``writing`` turns a quest and its images into a notebook. ``services/notebooks.py`` applies a
plan in one transaction and reads a quest's images for export. The vocabulary of tags and
metadata both sides understand is in docs/notebooks.md.
"""

"""Peer review: a reviewer's reviews to do and done, the review form on a submission's rubric,
and the count of reviews to do in the navigation."""

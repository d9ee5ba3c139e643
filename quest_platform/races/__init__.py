"""Code races' own pages: the projector view and the places as JSON."""

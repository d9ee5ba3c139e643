"""Account pages: joining a classroom with a code, and the profile with preferences."""

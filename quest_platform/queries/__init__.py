"""The read side of the platform: selectors shared by pages, the admin and the API."""

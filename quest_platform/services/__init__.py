"""The write side of the platform: each function owns one change and its side effects."""

from quest_platform.services.errors import ServiceError

__all__ = ["ServiceError"]

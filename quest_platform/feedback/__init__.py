"""Feedback conversations: the Messages page, the page of one conversation, writing, hiding and
showing messages, and the unread count in the navigation."""

"""The in-app inbox: each person's messages (newest first), unread count, marking read."""

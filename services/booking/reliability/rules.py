"""Pure reliability rules: how a worker's history becomes a score (see the area's domain)."""

from __future__ import annotations

# The score of a worker with no history yet, and the score from which a worker counts as
# reliable (open shifts reach reliable workers a tier before everyone else).
NEW_WORKER_SCORE = 75.0
RELIABLE_SCORE = 80.0

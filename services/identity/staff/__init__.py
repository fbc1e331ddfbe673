"""Staff: a CBO's owner, staff and their roles, its custom roles, and its client organisations'
user accounts."""

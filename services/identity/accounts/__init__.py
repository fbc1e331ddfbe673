"""Accounts: who signs in (operator, staff, job seekers, client users), their passwords, tokens and
sessions, and the links emailed to them (invitations and password resets)."""

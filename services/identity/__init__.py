"""Identity: accounts and credentials, tokens, roles and permissions, job-seeker profiles,
ID documents and approval, and the audit trail of staff actions."""

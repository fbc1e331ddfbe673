"""Identity's job-seeker entrypoints (registration, profile, documents, approval, import).

A mixin of IdentityService, kept apart from the account entrypoints in service.py."""


class JobseekerEntrypoints:
    pass

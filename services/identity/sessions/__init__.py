"""Sessions: whether a token still speaks for its account.

Each account has a session generation; deactivating it, resetting its password or changing
its roles (or a custom role it holds) raises the generation, which voids every token issued
under an older one: access tokens within seconds (the gateway asks `session_status` and caches
the answer briefly), refresh tokens at once.
"""

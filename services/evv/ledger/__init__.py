"""The tamper-evident record: each CBO's punches and corrections hashed (SHA-256) into one
chain by a sealer, each sealed batch signed (Ed25519), and the verification that names the
first record changed, inserted or removed."""

"""Storage: conversations kept per owner in SQLite or PostgreSQL (one SQLAlchemy schema with migrations), the
keyed hashes that name owners, and session names. Builds on knowledge (the profile); imports no chat or
interface module."""

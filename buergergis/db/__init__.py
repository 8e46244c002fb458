"""Database access: the private cluster, the engine and the migrations."""

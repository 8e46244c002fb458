"""Operations: backups that restore (database and file state in one consistent set)."""

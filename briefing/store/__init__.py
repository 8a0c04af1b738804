"""Store: the SQLite files (cache, subscribers, delivery ledger), how they are opened and migrated."""

"""Store: the SQLite files (cache, subscribers, delivery ledger) and how they are opened."""

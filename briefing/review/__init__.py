"""Review: the editor's edits of an edition, checked, logged beside it, re-applied, and approved."""

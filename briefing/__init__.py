"""briefing: cited, checkable news briefs."""

"""Extract: one `ArticleExtraction` per article.

From a model (`model/`) or from the text alone (`extractive/`); `schedule.py` runs them.
"""

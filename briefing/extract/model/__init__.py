"""The model backend: an OpenAI-compatible endpoint, constrained by the Pydantic schema.

Requests, bounded retries, answers checked against the article, batches, rates and costs.
"""

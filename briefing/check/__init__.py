"""Check: every statement against its sources.

`grounding` checks an extraction, `verify` a finished brief, `evaluate` scores briefs against labels.
"""

"""Render: pure functions from a `Brief` to Markdown, email HTML and JSON.

Layout lives in the Jinja2 templates in `templates/`.
"""

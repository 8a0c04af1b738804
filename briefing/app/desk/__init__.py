"""The editor's desk: a local web page to see, edit and approve an edition before it goes out.

`email` makes the citations of the email as sent show their evidence, and `view` lists
each story's items for editing (both pure); `web` serves the page
(Starlette, Jinja2 templates, plain HTML forms; nothing fetched from elsewhere) and
routes every act through `briefing.review.session.Review`, so the desk checks and logs
exactly as `briefing edit` and `briefing approve` do; `command` is `briefing review`.
"""

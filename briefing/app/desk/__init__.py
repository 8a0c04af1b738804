"""The editor's desk: a local web page to see, edit and approve an edition before it goes out.

`view` turns an edition under review into what the page shows (pure); `web` serves it
(Starlette, Jinja2 templates, plain HTML forms; nothing fetched from elsewhere) and
routes every act through `briefing.review.session.Review`, so the desk checks and logs
exactly as `briefing edit` and `briefing approve` do; `command` is `briefing review`.
"""

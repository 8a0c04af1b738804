"""The model backend: an OpenAI-compatible endpoint, constrained by the Pydantic schema.

`settings` (the knobs), `request` (what is sent), `transport` (sending it, with bounded
retries), `answers` (reading and checking what comes back, online and in a batch alike),
`backend` (composes them), `batch`, `rate_limit`, `breaker`, `budget`, `pricing`,
`prompt` and `providers` (the endpoint and its key).
"""

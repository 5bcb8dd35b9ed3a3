"""Clients for what lies outside Wayfinder: host-LMS REST APIs and the HTTP helper they share.

`adapters.base` holds the protocol (`LmsAdapter`), its dataclasses and the one error type
(`AdapterError`); `adapters.moodle`, `adapters.canvas` and `adapters.local` implement it;
`adapters.factory.make_adapter` picks one for a tenant. Nothing here imports Flask or lti_tool.
"""

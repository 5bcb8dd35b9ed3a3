"""Clients for what lies outside Wayfinder: host-LMS REST APIs and the HTTP helper they share.

Nothing here imports Flask or lti_tool.
"""

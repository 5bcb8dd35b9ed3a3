"""The development launcher: plays the LMS so Wayfinder can be tried and tested without one.

Only registered when DEV_LAUNCHER is on, which config refuses in production.
"""

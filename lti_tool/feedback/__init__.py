"""Feedback on learning: 1-5 ratings of path steps, catalog items and coaching sessions."""

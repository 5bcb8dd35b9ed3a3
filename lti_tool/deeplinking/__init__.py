"""LTI Deep Linking 2.0: instructors place Wayfinder content in their course (views.py has the
flow; content.py the registry of content providers other features register with)."""

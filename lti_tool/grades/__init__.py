"""Progress write-back through LTI Assignment and Grade Services 2.0: line items per course and
Wayfinder item, a durable outbox of scores written in the caller's transaction, and the job that
sends it (lti_tool/grades/jobs.py)."""

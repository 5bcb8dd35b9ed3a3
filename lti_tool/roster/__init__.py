"""Course rosters: NRPS sync as a background job, and the instructor's roster page."""

"""The learners' voice: training suggestions with votes, and anonymous pulse surveys per role."""

"""Leaders who visibly take part: coaching given and the stall nudge on the team page, and the
leader scorecard for operations managers (issue 7, item 3)."""

"""Recognition: badges with criteria, kudos between colleagues, Open Badges 3.0 export, and the
team and "people near me" views (both opt-out)."""

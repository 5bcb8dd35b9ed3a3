"""Peer coaching and shadowing, the weekly digest, skill pages and a leader's view of their
team's contributions."""

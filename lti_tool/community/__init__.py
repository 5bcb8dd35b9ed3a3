"""Peer knowledge-sharing: tips and how-tos, questions and answers, moderation, notifications."""

"""Action paths (handleveje): pure rules, steps, the duty to notify, plans, follow-ups,
meetings, consents, offers and momentum."""

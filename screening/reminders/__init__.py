"""Reminders of steps due soon or overdue: a daily in-app notification per user (a badge
and a list), an optional e-mail digest that names no child, and escalation to the
institution's leader."""

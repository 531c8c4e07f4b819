"""Blueprints. Views are thin: load, authorize (screening.access), act (services), render."""

"""Versioned definitions loaded from YAML: instruments, classifier rule sets and action-path
templates."""

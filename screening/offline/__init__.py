"""Offline tablets: the sync API (parsing, applying, conflicts, the offline pack) and the
installable app's shell."""

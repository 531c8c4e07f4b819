"""Retention and erasure: each municipality's policy applied nightly, a coordinator's
preview of the next run, and `flask erase-child ID --yes`."""

"""Tests of the classifier package (screening/classifier) and its data files."""

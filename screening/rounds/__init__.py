"""Screening rounds (vurderingsrunder): the windows in which children are assessed."""

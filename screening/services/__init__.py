"""Domain services: state changes that flush, never commit (the request commits once)."""

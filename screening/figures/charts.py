"""Charts (placeholder until written)."""

"""Project-generated data sets (synthetic, deterministic, no downloads)."""

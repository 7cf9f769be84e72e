"""Infrastructure every layer stands on; knows no domain."""

"""Products and stock movements."""

"""The rewards catalogue: what points buy, and the vouchers a redemption yields."""

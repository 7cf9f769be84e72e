"""People the business serves."""

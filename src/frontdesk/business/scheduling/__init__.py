"""Services, staff hours, availability and appointments."""

"""Seed layers 1-2: identity, sessions, audit and role-based access control."""

"""Roles, permissions and grants."""

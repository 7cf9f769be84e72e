"""Targeted advertisements, their impressions and clicks."""

"""Referrals: a customer brings another; both are credited once the first booking is paid."""

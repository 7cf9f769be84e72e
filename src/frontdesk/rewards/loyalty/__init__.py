"""Points ledger, rewards catalogue and referrals."""

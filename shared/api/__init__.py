"""REST adapter pieces both tiers use: the error model, operator headers, paging, idempotency."""

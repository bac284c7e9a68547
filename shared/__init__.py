"""What both tiers use: domain model, settings, persistence adapters and the REST error model."""

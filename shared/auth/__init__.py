"""Who may do what (R-29): staff identity from signed tokens, roles, province scope. Adapters, not domain."""

"""OAuth 2.0 protocol pieces, one module per concept (Authlib's habit): request parameters,
errors, and one module per grant."""

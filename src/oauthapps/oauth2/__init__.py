"""OAuth 2.0 protocol logic, one module per concept (Authlib's habit): request parameters,
errors, client authentication, the token endpoint with one module per grant, revocation,
token-info, introspection and the metadata document. The HTTP layer (http/oauth2.py) only
parses requests and answers."""

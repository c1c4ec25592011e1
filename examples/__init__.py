"""Sample templates built on oauthapps (importable so ``python -m examples.<name>...`` works from the repo root)."""

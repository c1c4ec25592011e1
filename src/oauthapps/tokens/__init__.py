"""Signing keys, minting and checking access tokens."""

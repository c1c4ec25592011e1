"""A small guestbook site (Flask) on the oauthapps Python SDK: see README.md in this folder."""

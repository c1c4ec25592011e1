"""oauthapps: a self-hosted OAuth Apps platform, wire-compatible with Wix Headless."""

"""What the tests share, defined once. The unit tests import none of it.

- ``servers``: fresh databases (SQLite, PostgreSQL), server processes, the CLI as a process.
- ``tenants``: projects and installed apps made in the database, and their app tokens.
- ``fixtures``: the backend fixtures (``database_url``, ``server``, ``http``, ``tenant``, ...) that
  tests/api/conftest.py and tests/e2e/conftest.py register.
- ``oauth_apps``, ``oauth2``, ``members``, ``data``: the APIs over real HTTP, and their error shapes.
- ``sdk``, ``browser``: set-up of the SDK tests, and chromium for the browser tests.
- ``smtp``, ``mail``: a real SMTP server on loopback (aiosmtpd, STARTTLS with a self-signed
  certificate), and the mail tests' servers, projects and outbox rows.
"""

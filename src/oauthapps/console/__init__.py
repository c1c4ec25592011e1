"""The owner console at /console: server-rendered pages (Jinja) over the same services as the
REST API. ``session`` signs owners in and out and guards every form with a CSRF token,
``forms`` turns posted forms into service input and violations into inline errors, ``pages``
renders with the console's security headers, ``auth`` and ``apps`` hold the handlers, and
``routes`` lists them."""

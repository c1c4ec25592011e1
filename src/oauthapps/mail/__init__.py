"""Outgoing mail: the SMTP settings, rendering from templates, delivery, and the outbox sender that
each server process runs. Features enqueue mails with ``services.mail.enqueue_mail``."""

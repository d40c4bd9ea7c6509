"""E-mail: the outbox table and writing to it (outbox, models), composing (compose, strings, ics) and
sending (sender), and a development SMTP server (devserver)."""

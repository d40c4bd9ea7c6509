"""The tests that need the app: its database, a real SMTP server, processes, a browser (fixtures in conftest)."""

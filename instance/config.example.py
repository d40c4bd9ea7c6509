# Local settings for this installation. Copy to instance/config.py.
# Environment variables (DATABASE_URL, SECRET_KEY, MAIL_*) override what is set here.

# A long random value; generate one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))"
# SECRET_KEY = "..."

# PostgreSQL instead of the embedded SQLite file:
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://dpa@127.0.0.1:5432/dpa"

# Outgoing mail:
# MAIL_SERVER = "smtp.example.com"
# MAIL_PORT = 587
# MAIL_USE_TLS = True
# MAIL_USERNAME = "dpa@example.com"
# MAIL_PASSWORD = "..."
# MAIL_DEFAULT_SENDER = "dpa@example.com"
# Bounces (README, "Bounces"): each e-mail goes out from bounces+<number>-<signature>@example.com, and the mail
# exchanger hands those addresses to `flask dpa bounce-server`, or delivers them to an IMAP mailbox read here.
# BOUNCE_ADDRESS = "bounces@example.com"
# BOUNCE_IMAP_HOST = "imap.example.com"
# BOUNCE_IMAP_USER = "bounces@example.com"
# BOUNCE_IMAP_PASSWORD = "..."

# The processor's seal on every document issued, and the time-stamping authority (README, "The seal").
# Without them the app makes a development seal in instance/seal/ (refused with DPA_ENV=production).
# SEAL_PKCS12 = "/etc/dpa_manager/seal.p12"
# SEAL_PKCS12_PASSWORD = "..."
# TSA_URL = "https://tsa.example.com/tsr"

# Behind one proxy that sets X-Forwarded-For and X-Forwarded-Proto:
# PROXY_HOPS = 1

"""Changes to the register of sub-processors and their notices. Its pages are part of the register's
(subprocessors.bp)."""

"""Errors that services raise and the web, API and CLI layers turn into messages."""


class ServiceError(Exception):
    """A request the service refuses; nothing was changed."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        #: The form field the message belongs beside, if any.
        self.field = field


class Invalid(ServiceError):
    """Input that breaks a rule (HTTP 422)."""


class Conflict(ServiceError):
    """A request that does not fit the object's current state (HTTP 409)."""


class Unavailable(ServiceError):
    """A service the request needs (the time-stamping authority) cannot be reached now (HTTP 503)."""

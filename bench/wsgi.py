"""The app as `make serve` runs it, plus a hello-world route: the reference for the portal benchmark."""

from dpa_manager import create_app
from dpa_manager.web import public

app = create_app()


@app.get("/bench/hello")
@public
def hello():
    """The least a request can cost in this app: its middleware, session and headers, no database."""
    return "hello"

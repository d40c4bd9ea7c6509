"""`flask --app dpa_manager dpa ...` commands."""
from pathlib import Path

import click
from flask.cli import AppGroup

from . import clock
from .errors import ServiceError
from .extensions import db

dpa = AppGroup("dpa", help="dpa_manager commands.")


@dpa.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["manager", "client"]), required=True)
@click.option("--client", "client_id", type=int, help="The client a client user belongs to.")
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--password", help="Asked for (hidden, twice) when not given.")
def create_user_command(email, role, client_id, full_name, password):
    """Create a manager or a client user."""
    from .accounts.services import create_user

    if password is None:
        password = click.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email=email, password=password, role=role, client_id=client_id, full_name=full_name,
                           now=clock.now())
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Gebruiker {user.email} ({user.role}) aangemaakt met id {user.id}.")


@dpa.command("seed-demo")
@click.option("--clients", "extra", type=click.IntRange(min=1), help="Add this many synthetic clients.")
def seed_demo_command(extra):
    """Load the demo data (idempotent); with --clients N add N synthetic clients."""
    from . import demo

    if extra:
        first, last = demo.seed_synthetic(extra, now=clock.now())
        click.echo(f"{extra} synthetische klanten toegevoegd (id {first} tot {last}), elk met een ondertekende "
                   f"overeenkomst en één contactpersoon (wachtwoord {demo.SYNTHETIC_PASSWORD}).")
        return
    logins = demo.seed_demo(now=clock.now())
    click.echo("Demogegevens geladen. Aanmelden op http://127.0.0.1:5000 met:")
    for email, password, what in logins:
        click.echo(f"  {email:<34} {password:<22} {what}")


@dpa.command("agreement-pdf")
@click.argument("agreement_id", type=int)
@click.argument("outfile", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def agreement_pdf_command(agreement_id, outfile):
    """Write the PDF of an agreement (the stored signed one when it is signed)."""
    from .agreements.models import Agreement
    from .agreements.services import pdf_of

    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None:
        raise click.ClickException(f"Er is geen overeenkomst met id {agreement_id}.")
    try:
        data = pdf_of(agreement, now=clock.now())
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    outfile.write_bytes(data)
    click.echo(f"{outfile} geschreven ({len(data)} bytes).")

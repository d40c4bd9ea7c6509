"""`flask --app dpa_manager dpa ...` commands."""

import functools
from pathlib import Path

import click
from flask.cli import AppGroup

from . import clock
from .errors import ServiceError
from .extensions import db


class Said(list):
    """The lines a command says once what it did is committed (a token, "created"): never before."""


class Commands(AppGroup):
    """The flask dpa commands: each runs in the app context and ends its transaction in one place, here:
    committed when it returns, rolled back when it fails; then the lines it returned as Said are printed. (The
    sweep and the sender commit per batch and per message themselves, as jobs do.)"""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(function):
            @functools.wraps(function)
            def run(*given, **options):
                try:
                    result = function(*given, **options)
                except BaseException:
                    db.session.rollback()
                    raise
                db.session.commit()
                if isinstance(result, Said):
                    for line in result:
                        click.echo(line)
                return result

            return register(run)

        return decorator


dpa = Commands("dpa", help="dpa_manager commands.")
# Each command imports what it runs when it runs: `flask --help` and the app's start-up import none of it.


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
        user = create_user(
            email=email, password=password, role=role, client_id=client_id, full_name=full_name, now=clock.now()
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    db.session.flush()
    return Said([f"Gebruiker {user.email} ({user.role}) aangemaakt met id {user.id}."])


@dpa.command("seed-demo")
@click.option("--clients", "extra", type=click.IntRange(min=1), help="Add this many synthetic clients.")
def seed_demo_command(extra):
    """Load the demo data (idempotent); with --clients N add N synthetic clients. Refused in production: the demo
    logins are published, and the demo manager needs no second factor."""
    from flask import current_app  # the app the command runs in

    from . import demo

    if current_app.config["DPA_ENV"] == "production":
        raise click.ClickException(
            "Geen demogegevens met DPA_ENV=production: de demologins staan in de README, en de demomanager heeft "
            "geen tweede factor nodig."
        )

    if extra:
        first, last = demo.seed_synthetic(extra, now=clock.now())
        return Said(
            [
                f"{extra} synthetische klanten toegevoegd (id {first} tot {last}), elk met een ondertekende "
                f"overeenkomst en één contactpersoon (wachtwoord {demo.SYNTHETIC_PASSWORD})."
            ]
        )
    logins = demo.seed_demo(now=clock.now())
    return Said(
        ["Demogegevens geladen. Aanmelden op http://127.0.0.1:5000 met:"]
        + [f"  {email:<34} {password:<22} {what}" for email, password, what in logins]
    )


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


@dpa.command("sweep")
def sweep_command():
    """Close due windows, queue reminders and apply due changes, once."""
    from .jobs import sweep

    report = sweep(clock.now())
    click.echo(
        f"Stilzwijgend goedgekeurd: {report.deemed_approved}; herinneringen: {report.reminders}; "
        f"toegepast: {report.applied}; overeenkomsten aangepast aan nieuwe voorwaarden: {report.amended}."
    )


@dpa.command("send-mail")
@click.option("--until-empty", is_flag=True, help="Keep draining until no message is due.")
def send_mail_command(until_empty):
    """Deliver the due messages of the outbox, once (or until none is due)."""
    from .jobs import send_mail
    from .mail.sender import stop_on_sigterm, stopping

    stop_on_sigterm()  # finish the message in hand, then stop
    sent = failed = dead = 0
    while True:
        report = send_mail()
        sent, failed, dead = sent + len(report.sent), failed + len(report.failed), dead + len(report.dead)
        if stopping() or not until_empty or not (report.sent or report.failed or report.dead):
            break
    # A message accepted for some addresses and still to try for others is in both of the first two numbers.
    click.echo(f"Verstuurd: {sent}; nog te proberen (geheel of voor een adres): {failed}; opgegeven: {dead}.")


@dpa.command("requeue")
@click.option("--all-dead", is_flag=True, help="Every message that was given up.")
@click.argument("message_ids", nargs=-1, type=click.IntRange(min=1))
def requeue_command(all_dead, message_ids):
    """Put given-up (dead) outbox messages back in the queue, to the clients' current addresses."""
    from . import clock
    from .notices.services import requeue

    if all_dead == bool(message_ids):
        raise click.UsageError("Geef --all-dead of de nummers van de berichten.")
    done = requeue(None if all_dead else list(message_ids), actor=None, now=clock.now())
    skipped = sorted(set(message_ids) - set(done))
    return Said(
        [
            f"Opnieuw in de wachtrij: {len(done)}."
            + (f" Niet opgegeven, dus niet aangeraakt: {', '.join(map(str, skipped))}." if skipped else "")
        ]
    )


@dpa.command("scheduler")
@click.option("--sweep-seconds", default=60, show_default=True, type=click.IntRange(min=1))
@click.option("--mail-seconds", default=15, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--jobs",
    "job_names",
    default="sweep,send-mail,audit-anchor,bounce-imap",
    show_default=True,
    help="Which jobs this process runs (comma-separated; bounce-imap only when BOUNCE_IMAP_HOST is set).",
)
def scheduler_command(sweep_seconds, mail_seconds, job_names):
    """Run the sweep, the outbox, the audit trail's anchors and the bounce mailbox at intervals, until stopped."""
    import logging

    from flask import current_app

    from .jobs import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    names = {n.strip() for n in job_names.split(",") if n.strip()}
    if not names or names - {"sweep", "send-mail", "audit-anchor", "bounce-imap"}:
        raise click.BadParameter("kies uit sweep, send-mail, audit-anchor en bounce-imap", param_hint="--jobs")
    run_scheduler(current_app._get_current_object(), sweep_seconds=sweep_seconds, mail_seconds=mail_seconds, jobs=names)


@dpa.command("dev-mail-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
def dev_mail_server_command(host, port):
    """Run a local SMTP server that stores every message under instance/mail/ (development only)."""
    from flask import current_app

    from .mail.devserver import serve

    serve(host, port, Path(current_app.instance_path) / "mail")


@dpa.command("bounce-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=2525, show_default=True, type=int)
def bounce_server_command(host, port):
    """Take bounces by SMTP (behind the mail exchanger of BOUNCE_ADDRESS's domain) until stopped."""
    import logging

    from flask import current_app

    from .intake import serve_bounces
    from .mail.bounces import NoReturnPaths

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve_bounces(current_app._get_current_object(), host, port)
    except NoReturnPaths as error:
        raise click.UsageError(str(error)) from None


@dpa.command("bounce-imap")
def bounce_imap_command():
    """Read the bounces in the IMAP mailbox (BOUNCE_IMAP_*) once: record each, then delete it from the box."""
    from flask import current_app

    from .intake import read_mailbox

    if not current_app.config.get("BOUNCE_IMAP_HOST"):
        raise click.UsageError("BOUNCE_IMAP_HOST is niet ingesteld: er is geen mailbox om te lezen.")
    if not current_app.config.get("BOUNCE_ADDRESS"):
        raise click.UsageError("BOUNCE_ADDRESS is niet ingesteld: geen bounce kan aan zijn bericht gekoppeld worden.")
    import imaplib

    try:
        report = read_mailbox()
    except (imaplib.IMAP4.error, OSError) as error:
        raise click.ClickException(f"De mailbox kon niet gelezen worden: {error}") from None
    return Said(
        [
            f"Bounces geregistreerd: {len(report.recorded)}; al bekend: {report.known}; "
            f"blijven in de mailbox voor de volgende keer: {report.left}."
        ]
    )


@dpa.command("create-token")
@click.argument("email")
@click.option("--label", default="", help="What the token is for.")
def create_token_command(email, label):
    """Create an API token that acts as the user with this e-mail; the token is the last line."""
    from .accounts.services import create_token, find_user

    user = find_user(email)
    if user is None or not user.is_active:
        raise click.ClickException(f"Er is geen actieve gebruiker {email}.")
    token = create_token(user, label=label, now=clock.now())
    return Said([f"API-token voor {user.email} ({user.role}); bewaar het nu, het wordt niet opnieuw getoond:", token])


@dpa.command("import")
@click.argument("kind", type=click.Choice(["clients", "agreements", "subprocessors"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(kind, path):
    """Import clients or the register of sub-processors from a CSV or .xlsx file, or agreements signed outside the
    app from a ZIP file (a table and the signed PDFs): every row is checked first, and either all are imported or
    none (the wrong rows are listed, with why)."""
    from .agreements import imports as agreement_imports  # the command runs what it imports
    from .clients import imports as client_imports  # likewise
    from .subprocessors import imports as register_imports  # likewise

    words = {"clients": "klanten", "agreements": "overeenkomsten", "subprocessors": "subverwerkers"}[kind]
    try:
        if kind == "agreements":
            _table, rows, pdfs = agreement_imports.read_zip(path.name, path.read_bytes())
        else:
            rows = (client_imports if kind == "clients" else register_imports).read_table(path.name, path.read_bytes())
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    if kind == "clients":
        checked = client_imports.import_clients(rows, actor=None, now=clock.now(), source=path.name)
    elif kind == "agreements":
        checked = agreement_imports.import_agreements(rows, pdfs, actor=None, now=clock.now(), source=path.name)
    else:
        checked = register_imports.import_register(rows, actor=None, now=clock.now(), source=path.name)
    wrong = [row for row in checked if row.errors]
    if wrong:
        lines = [f"rij {row.line}: " + "; ".join(f"{k}: {v}" for k, v in row.errors.items()) for row in wrong[:50]]
        more = [f"… en nog {len(wrong) - 50} rijen met fouten"] if len(wrong) > 50 else []
        raise click.ClickException(
            "\n".join([f"Niets geïmporteerd: {len(wrong)} van de {len(checked)} rijen hebben fouten."] + lines + more)
        )
    return Said([f"{len(checked)} {words} geïmporteerd uit {path.name}."])


@dpa.command("disable-user")
@click.argument("email")
def disable_user_command(email):
    """Disable a user: no login, every session ended and every API token revoked at once."""
    from .accounts.services import disable, find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"Er is geen gebruiker {email}.")
    if not user.active:
        return Said([f"{user.email} was al uitgeschakeld."])
    try:
        disable(user, actor=None, now=clock.now())
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    return Said([f"{user.email} is uitgeschakeld: overal afgemeld, API-tokens ingetrokken."])


@dpa.command("enable-user")
@click.argument("email")
def enable_user_command(email):
    """Let a disabled user log in again (revoked API tokens stay revoked)."""
    from .accounts.services import enable, find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"Er is geen gebruiker {email}.")
    enable(user, actor=None, now=clock.now())
    return Said([f"{user.email} kan zich weer aanmelden."])


@dpa.command("audit-verify")
def audit_verify_command():
    """Check the audit trail's hash chain and every anchor of it; exit non-zero naming the first event that does
    not match (or, for an anchor, the first event that may have been changed)."""
    from .anchors import all_anchors, check, event_hashes, missing
    from .audit import verify
    from .formatting import format_datetime_seconds

    anchors = all_anchors()  # before the chain's head: every anchor read now names an event at or before it
    result = verify()
    if not result.ok:
        click.echo(f"Audittrail NIET in orde na {result.checked} gebeurtenissen: {result.problem}", err=True)
        raise SystemExit(1)
    beyond = [a.seq for a in anchors if a.seq > result.checked]
    gone = missing(anchors, result.checked)
    if beyond or gone:
        problem = (
            f"een anker legt gebeurtenis {beyond[0]} vast, maar de keten eindigt bij {result.checked}: gebeurtenissen "
            "zijn verwijderd"
            if beyond
            else f"het anker van gebeurtenis {gone[0]}, dat de keten vermeldt, ontbreekt of is vervangen"
        )
        click.echo(f"Audittrail NIET in orde: {problem}.", err=True)
        raise SystemExit(1)
    matched, trusted = 0, True
    for item in check(anchors, event_hashes([a.seq for a in anchors])):
        anchor, when = item.anchor, format_datetime_seconds(item.anchor.stamped_at)
        problem = None
        if not item.intact:
            problem = (
                f"het anker van gebeurtenis {anchor.seq} ({when}) is geen geldig tijdstempel over de hash die het noemt"
            )
        elif item.trusted is False:
            problem = (
                f"het tijdstempel van het anker van gebeurtenis {anchor.seq} ({when}) komt niet van een dienst die "
                "leidt naar een wortel in TSA_TRUST_ROOTS"
            )
        elif not item.matches:
            problem = (
                f"gebeurtenis {anchor.seq} heeft nu een andere hash dan de hash die op {when} een tijdstempel kreeg: "
                f"een gebeurtenis van {matched + 1} tot {anchor.seq} is nadien gewijzigd en de keten herberekend; "
                f"de eerste die gewijzigd kan zijn is gebeurtenis {matched + 1}"
            )
        if problem:
            click.echo(f"Audittrail NIET in orde: {problem}.", err=True)
            raise SystemExit(1)
        matched, trusted = anchor.seq, trusted and item.trusted is True
    lines = [f"Audittrail in orde: {result.checked} gebeurtenissen, de keten klopt."]
    if anchors:
        last = anchors[-1]
        lines.append(
            ("1 anker klopt; het" if len(anchors) == 1 else f"{len(anchors)} ankers kloppen; het laatste")
            + f" legt gebeurtenis {last.seq} vast op "
            f"{format_datetime_seconds(last.stamped_at)} (tijdstempel)"
            + ("." if trusted else ", zonder controle van de tijdstempeldienst (stel TSA_TRUST_ROOTS in).")
        )
        if result.checked > last.seq:
            lines.append(f"{result.checked - last.seq} gebeurtenissen na het laatste anker hebben nog geen anker.")
    else:
        lines.append("Er is nog geen anker: flask --app dpa_manager dpa audit-anchor maakt er een.")
    for line in lines:
        click.echo(line)


@dpa.command("audit-anchor")
def audit_anchor_command():
    """Timestamp the head of the audit trail now (the scheduler does it every AUDIT_ANCHOR_MINUTES)."""
    from .anchors import anchor, latest
    from .formatting import format_datetime_seconds

    try:
        made = anchor(clock.now())
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    if made is None:
        current = latest()
        return Said(
            [f"De audittrail is al verankerd tot gebeurtenis {current.seq}." if current else "De audittrail is leeg."]
        )
    return Said(
        [
            f"Anker gemaakt: gebeurtenis {made.seq}, hash {made.event_hash}, "
            f"tijdstempel {format_datetime_seconds(made.stamped_at)}."
        ]
    )

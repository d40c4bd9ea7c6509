"""The `flask dpa` commands."""

from pypdf import PdfReader

from dpa_manager import demo
from dpa_manager.accounts.models import User
from dpa_manager.agreements.models import Agreement
from dpa_manager.clients.models import Client
from dpa_manager.extensions import db


def count(model, *where):
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def test_create_manager_with_password(runner, app):
    result = runner.invoke(
        args=["dpa", "create-user", "Boss@Example.be", "--role", "manager", "--password", "a-long-enough-password"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User))
    assert user.email == "boss@example.be" and user.is_manager and user.check_password("a-long-enough-password")


def test_create_user_prompts_for_the_password(runner, app):
    result = runner.invoke(
        args=["dpa", "create-user", "p@example.be", "--role", "manager"],
        input="prompted-password-1\nprompted-password-1\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User)).check_password("prompted-password-1")


def test_create_client_user_needs_an_existing_client(runner, make_client):
    result = runner.invoke(
        args=["dpa", "create-user", "c@example.be", "--role", "client", "--password", "a-strong-pass-phrase"]
    )
    assert result.exit_code != 0 and "bestaande klant" in result.output
    client = make_client()
    result = runner.invoke(
        args=[
            "dpa",
            "create-user",
            "c@example.be",
            "--role",
            "client",
            "--client",
            str(client.id),
            "--password",
            "a-strong-pass-phrase",
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User).where(User.email == "c@example.be")).client_id == client.id


def test_create_user_refuses_bad_input(runner, app):
    for args, message in (
        (["x@example.be", "--role", "manager", "--password", "short"], "minstens 12"),
        (["not-an-email", "--role", "manager", "--password", "a-strong-pass-phrase"], "geen geldig"),
        (["x@example.be", "--role", "boss", "--password", "a-strong-pass-phrase"], "Invalid value"),
    ):
        result = runner.invoke(args=["dpa", "create-user", *args])
        assert result.exit_code != 0 and message in result.output
    assert count(User) == 0


def test_seed_demo_is_idempotent(runner, app):
    first = runner.invoke(args=["dpa", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "manager@contactexpert.be" in first.output and "demo-manager-2026" in first.output
    second = runner.invoke(args=["dpa", "seed-demo"])
    assert second.exit_code == 0
    assert count(Client) == 3 and count(User) == 4
    assert count(Agreement, Agreement.state == "signed") == 2 and count(Agreement, Agreement.state == "draft") == 1
    working = db.session.scalar(db.select(Agreement).where(Agreement.window_unit == "working"))
    assert working.window_days == 3


def test_seed_synthetic_clients_in_bulk(runner, app):
    result = runner.invoke(args=["dpa", "seed-demo", "--clients", "500"])
    assert result.exit_code == 0, result.output
    assert count(Client) == 503 and count(Agreement, Agreement.state == "signed") == 502
    runner.invoke(args=["dpa", "seed-demo", "--clients", "5"])
    assert count(Client) == 508
    assert count(User, User.role == "client") == 508


def test_agreement_pdf_writes_the_stored_signed_pdf(runner, make_agreement, tmp_path):
    agreement = make_agreement("signed")
    out = tmp_path / "vo.pdf"
    result = runner.invoke(args=["dpa", "agreement-pdf", str(agreement.id), str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == agreement.signed_pdf


def test_agreement_pdf_of_a_synthetic_agreement_is_built_once(runner, app, tmp_path):
    runner.invoke(args=["dpa", "seed-demo", "--clients", "3"])
    agreement = db.session.scalar(db.select(Agreement).order_by(Agreement.id.desc()))
    assert agreement.signed_pdf is None
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    runner.invoke(args=["dpa", "agreement-pdf", str(agreement.id), str(first)])
    runner.invoke(args=["dpa", "agreement-pdf", str(agreement.id), str(second)])
    assert first.read_bytes() == second.read_bytes()
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).signed_pdf == first.read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(first).pages)
    assert demo.synthetic_name(3).rsplit(" ", 1)[0] in text and "Ondertekening" in text


def test_agreement_pdf_refuses_unknown_and_incomplete(runner, make_agreement, tmp_path):
    result = runner.invoke(args=["dpa", "agreement-pdf", "999", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "geen overeenkomst met id 999" in result.output
    draft = make_agreement(toms="")
    result = runner.invoke(args=["dpa", "agreement-pdf", str(draft.id), str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "onvolledig" in result.output
    assert not (tmp_path / "x.pdf").exists()

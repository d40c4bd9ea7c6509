"""Keep French and English translations next to each Dutch terms article and title; fill them for the shipped terms.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 00:30:00

"""

import tomllib
from importlib.resources import files

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("terms_articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))
    with op.batch_alter_table("terms_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_translations", sa.JSON(), nullable=True))
    # The shipped default version gets the shipped translations, where its articles are the shipped ones.
    versions = sa.table(
        "terms_versions",
        sa.column("id"),
        sa.column("label"),
        sa.column("title"),
        sa.column("title_translations", sa.JSON()),
    )
    articles = sa.table(
        "terms_articles",
        sa.column("id"),
        sa.column("version_id"),
        sa.column("number"),
        sa.column("body"),
        sa.column("translations", sa.JSON()),
    )
    package = files("dpa_manager.terms")
    original = tomllib.loads(package.joinpath("default_nl.toml").read_text("utf-8"))
    documents = {
        lang: tomllib.loads(package.joinpath(f"default_{lang}.toml").read_text("utf-8")) for lang in ("fr", "en")
    }
    translated = {lang: {a["number"]: a for a in document["articles"]} for lang, document in documents.items()}
    shipped = {a["number"]: a["body"].strip() for a in original["articles"]}
    connection = op.get_bind()
    version_id = connection.execute(sa.select(versions.c.id).where(versions.c.label == original["label"])).scalar()
    if version_id is None:
        return
    connection.execute(
        versions.update()
        .where(versions.c.id == version_id, versions.c.title == original["title"])
        .values(title_translations={lang: d["title"] for lang, d in documents.items()})
    )
    for article_id, number, body in connection.execute(
        sa.select(articles.c.id, articles.c.number, articles.c.body).where(articles.c.version_id == version_id)
    ):
        if shipped.get(number) != body:
            continue
        value = {
            lang: {"title": t[number]["title"], "body": t[number]["body"].strip()}
            for lang, t in translated.items()
            if number in t
        }
        connection.execute(articles.update().where(articles.c.id == article_id).values(translations=value))


def downgrade():
    with op.batch_alter_table("terms_versions", schema=None) as batch_op:
        batch_op.drop_column("title_translations")
    with op.batch_alter_table("terms_articles", schema=None) as batch_op:
        batch_op.drop_column("translations")

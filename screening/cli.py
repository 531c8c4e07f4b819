"""Operator commands: `flask --app screening <command>` or the `screening` script.

`flask --app screening db upgrade` (Flask-Migrate) creates or upgrades the schema.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app

from screening.core.extensions import db
from screening.core.time import local_today


@click.command(
    "db",
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    },
    help="Database migrations (Flask-Migrate, Alembic): flask db upgrade, flask db --help.",
)
@click.pass_context
def db_command(ctx: click.Context) -> None:
    """`flask db …`: Flask-Migrate's own command group, imported only when it runs (a web
    worker never imports Flask-Migrate or Alembic, see `core.extensions.LazyMigrate`)."""
    from flask_migrate.cli import db as migrations

    migrations.main(args=ctx.args, prog_name=ctx.command_path, obj=ctx.obj, standalone_mode=False)


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_command)
    app.cli.add_command(create_user)
    app.cli.add_command(import_roster_command)
    app.cli.add_command(seed_demo)
    app.cli.add_command(load_catalogue)
    app.cli.add_command(worker)
    app.cli.add_command(housekeeping_command)
    app.cli.add_command(erase_child_command)
    app.cli.add_command(retention_command)
    app.cli.add_command(reminders_command)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="educator, leader, health_visitor, dental, coordinator, ppr, "
    "social_worker or admin; repeat for several",
)
@click.option(
    "--institution", "institutions", multiple=True, help="Institution name; repeat for several"
)
@click.password_option(help="Asked for when not given")
def create_user(
    email: str, name: str, roles: tuple[str, ...], institutions: tuple[str, ...], password: str
) -> None:
    """Create a user (for example the first admin)."""
    from screening.accounts import services as accounts
    from screening.accounts.models import Role
    from screening.accounts.services import save_user
    from screening.core.errors import DomainError
    from screening.org.models import Institution

    try:
        role_values = [Role(r).value for r in roles]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--role") from exc
    problem = accounts.password_problem(password)
    if problem:
        raise click.BadParameter(
            f"password {problem.replace('_', ' ')} "
            f"({accounts.MIN_PASSWORD_LENGTH}-{accounts.MAX_PASSWORD_LENGTH} characters)",
            param_hint="--password",
        )
    ids = []
    for inst_name in institutions:
        inst = db.session.scalar(sa.select(Institution).where(Institution.name == inst_name))
        if inst is None:
            raise click.BadParameter(
                f"no institution named {inst_name!r}", param_hint="--institution"
            )
        ids.append(inst.id)
    try:
        user = save_user(
            None,
            name=name,
            email=email,
            roles=role_values,
            institution_ids=ids,
            active=True,
            password=password,
        )
    except DomainError as exc:
        raise click.ClickException(f"a user with e-mail {email!r} already exists") from exc
    db.session.commit()
    click.echo(f"Created user {user.id} <{user.email}> with roles {', '.join(role_values)}")


@click.command("import-roster")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_roster_command(path: Path) -> None:
    """Import a roster CSV (children, guardians, groups). Nothing is written on any error."""
    from screening.core import audit
    from screening.org.roster import import_roster

    result = import_roster(
        path.read_bytes(), today=local_today(), max_rows=current_app.config["ROSTER_MAX_ROWS"]
    )
    if not result.ok:
        db.session.rollback()
        for e in result.errors:
            click.echo(f"row {e.row}, column {e.column or '-'}: {e.message}", err=True)
        click.echo(f"{len(result.errors)} error(s); nothing was imported.", err=True)
        sys.exit(1)
    audit.record(
        "roster.import",
        "roster",
        created=result.children_created,
        updated=result.children_updated,
        moved=result.children_moved,
        source="cli",
    )
    db.session.commit()
    click.echo(
        f"{result.rows} rows: {result.children_created} children created, "
        f"{result.children_updated} updated, {result.children_moved} moved; "
        f"{result.guardians_created} guardians created, {result.guardians_updated} updated."
    )


@click.command("load-catalogue")
@click.option(
    "--instruments",
    "instruments_path",
    type=click.Path(path_type=Path),
    help="An instrument YAML file or a folder of them (default: the shipped ones)",
)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path),
    help="A rule-set YAML file or a folder of them (default: the shipped ones)",
)
@click.option(
    "--action-paths",
    "paths_path",
    type=click.Path(path_type=Path),
    help="The action-path templates YAML (default: the shipped one)",
)
def load_catalogue(
    instruments_path: Path | None, rules_path: Path | None, paths_path: Path | None
) -> None:
    """Validate and load instruments and classifier rule sets. Nothing is stored on error."""
    from screening.catalogue.services import (
        CatalogueError,
        load_instrument_files,
        load_ruleset_files,
        load_template_file,
    )

    try:
        loaded = load_instrument_files(instruments_path)
        loaded += load_ruleset_files(rules_path)
        paths_status = load_template_file(paths_path)
    except CatalogueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    for item in loaded:
        click.echo(f"{item.kind} {item.key} v{item.version}: {item.status}")
    click.echo(f"action paths: {paths_status}")


@click.command("seed-demo")
def seed_demo() -> None:
    """Fill an empty database with the demo municipality (see README for the sign-ins)."""
    from screening import demo
    from screening.catalogue.services import (
        load_instrument_files,
        load_ruleset_files,
        load_template_file,
    )

    load_instrument_files()
    load_ruleset_files()
    load_template_file()
    if demo.seed(local_today()):
        db.session.commit()
        click.echo("Demo data created. Sign in as leder@demo.dk with the demo password.")
    else:
        click.echo("The database already has institutions; demo data not added.")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads")
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic tasks here")
def worker(workers: int, no_periodic: bool) -> None:
    """Run a task-queue consumer (PDF jobs, housekeeping, retention, reminders)."""
    import logging

    from screening.core import queue

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    queue.consumer(current_app, workers=workers, periodic=not no_periodic).run()


@click.command("housekeeping")
def housekeeping_command() -> None:
    """Forget finished PDFs, prune old sign-in attempts, recover stale PDF jobs (for cron)."""
    from screening import housekeeping

    result = housekeeping.run()
    click.echo(
        f"{result.pdfs_forgotten} PDFs forgotten, {result.login_attempts_pruned} sign-in "
        f"attempts pruned, {result.jobs_requeued} jobs queued again, "
        f"{result.jobs_failed} jobs failed"
    )


@click.command("erase-child")
@click.argument("child_id", type=int)
@click.option("--yes", is_flag=True, help="Erase without asking (required)")
def erase_child_command(child_id: int, yes: bool) -> None:
    """Erase one child and everything about it now, whatever the retention policy."""
    from screening.retention.tasks import erase_now

    if not yes:
        raise click.UsageError(f"erasure cannot be undone: add --yes to erase child {child_id}")
    if not erase_now(child_id):
        raise click.ClickException(f"no child with id {child_id}")
    click.echo(f"Child {child_id} erased.")


@click.command("retention")
def retention_command() -> None:
    """Run the nightly retention now: erase every child past the policy, prune the audit."""
    from screening.retention.tasks import run

    result = run()
    click.echo(
        f"{result.erased} children erased, {result.skipped} skipped, {result.failed} failed, "
        f"{result.audit_pruned} audit events deleted"
    )


@click.command("reminders")
def reminders_command() -> None:
    """Run today's reminders now (in-app notifications; e-mail digests when configured)."""
    from screening.reminders.tasks import run

    result = run()
    click.echo(f"{result.notified} users notified, {result.emailed} e-mailed")

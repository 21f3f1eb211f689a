"""The `complaints` command: one typer app composed from one module per concern."""

from __future__ import annotations

import typer

app = typer.Typer(help="Приём претензий: шлюз обращений клиентов / complaint intake gateway", no_args_is_help=True)


def _register() -> None:
    # Each module adds its commands to `app` (or a sub-app) when imported.
    from workers.channels.registry import cli_apps
    from workers.cli import calendar, directory, docs, run, shunt, tools  # noqa: F401

    for name, channel_app in cli_apps():  # `complaints <channel> ...`
        app.add_typer(channel_app, name=name)


_register()

"""`complaints ok subscribe URL` / `unsubscribe URL` / `subscriptions` (filled in by the OK channel)."""

from __future__ import annotations

import typer

from workers.cli import app

ok_app = typer.Typer(help="Одноклассники: подписка вебхука / OK.ru webhook subscription", no_args_is_help=True)
app.add_typer(ok_app, name="ok")

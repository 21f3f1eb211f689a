"""The channel registry is the one list of channels: every upper layer reads it, and its platform parts are
imported only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from channels.base import Channel
from workers.app import labels
from workers.app.settings import Settings
from workers.channels.registry import (
    BY_CHANNEL,
    PLUGINS,
    channel_titles,
    intake_groups,
    normalizer_steps,
    webhook_counters,
)
from workers.cli import app as cli
from workers.web import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_every_channel_has_exactly_one_plugin() -> None:
    assert [p.channel for p in PLUGINS] == list(dict.fromkeys(p.channel for p in PLUGINS))
    assert set(BY_CHANNEL) == set(Channel)


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.name)
def test_plugin_parts_resolve(plugin) -> None:  # type: ignore[no-untyped-def]
    for field in plugin.settings_fields:
        assert field in Settings.model_fields, f"{plugin.name}: unknown setting {field}"
    for ref in (plugin.webhook, plugin.sender, plugin.cli, plugin.counters):
        if ref is not None:
            assert ref.load() is not None
    if plugin.intake is not None:
        factory = plugin.intake.factory.load()
        assert callable(factory) and hasattr(factory, "__aenter__")
    assert plugin.title and all(plugin.shunt_stages.values())


def route_paths(routes: list[Any]) -> set[str]:
    """Paths of the routes, through the routers FastAPI includes lazily."""
    found: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        found |= route_paths(included.routes) if included is not None else {getattr(route, "path", "")}
    return found


def test_upper_layers_read_the_registry() -> None:
    app = create_app(Settings())
    paths = route_paths(app.routes)
    assert "/api/v1/feedback" in paths
    for plugin in PLUGINS:
        if plugin.webhook is not None:
            assert {getattr(r, "path", "") for r in plugin.webhook.load().routes} <= paths
    assert set(webhook_counters()) == {p.name for p in PLUGINS if p.counters is not None}
    commands = {group.name for group in cli.registered_groups}
    assert commands >= {p.name for p in PLUGINS if p.cli is not None}
    result = CliRunner().invoke(cli, ["worker", "--help"])
    for plugin in PLUGINS:
        if plugin.intake is not None:
            assert plugin.name in result.output
    assert {k: labels.CHANNEL_TITLES[k] for k in channel_titles()} == channel_titles()
    for plugin in PLUGINS:
        for stage, title in plugin.shunt_stages.items():
            assert labels.SHUNT_STAGE_TITLES[stage] == title
    assert set(normalizer_steps()) == {p.channel for p in PLUGINS if p.normalizer_step is not None}


def test_polling_intakes_start_only_in_their_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    assert intake_groups(Settings()) == []
    monkeypatch.setenv("COMPLAINTS_TELEGRAM", '{"token": "123:abc", "mode": "polling"}')
    assert intake_groups(Settings()) == [("telegram",)]
    monkeypatch.setenv("COMPLAINTS_TELEGRAM", '{"token": "123:abc", "mode": "webhook", "webhook_secret": "s" }')
    assert intake_groups(Settings()) == []


def test_a_worker_process_imports_no_sdk_of_an_unconfigured_channel(tmp_path: Path) -> None:
    """Worker RSS: aiogram alone is ~100 MB; the registry must not import it for a worker that has no use for it."""
    code = (
        "import sys\n"
        "import workers.cli, workers.app.worker_set\n"
        "from workers.app.settings import Settings\n"
        "from workers.channels.senders.selection import Senders\n"
        "from workers.channels.registry import normalizer_steps, intake_groups\n"
        "Senders.from_settings(Settings()); normalizer_steps(); intake_groups(Settings())\n"
        "print(sorted(m for m in ('aiogram', 'vk_api', 'aioimaplib') if m in sys.modules))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "COMPLAINTS_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("channel", ["telegram"])
def test_few_modules_outside_a_channels_folders_name_it(channel: str) -> None:
    """CONTRIBUTING.md, "Add a channel": the registry entry, the enum value, the identity field, the settings
    field and a migration; nothing else names the channel."""
    out = subprocess.run([str(ROOT / "scripts" / "channel-mentions"), channel], capture_output=True, text=True,
                         check=True)
    count = int(out.stdout.split()[1])
    assert count <= 5, subprocess.run([str(ROOT / "scripts" / "channel-mentions"), "-v", channel],
                                      capture_output=True, text=True).stdout

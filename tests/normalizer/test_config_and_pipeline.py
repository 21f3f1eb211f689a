"""The normalizer is pure: its configuration is passed in (NormalizerConfig on the draft), the channel step
is picked from the `{Channel: step}` mapping given to normalize(), and the pipeline names no channel."""

from __future__ import annotations

import ast
import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels.base import BadSubmission, Channel, RawSubmission, submission_id_for
from channels.blobs import MemoryBlobStore
from channels.email.config import EmailLimits
from channels.email.submission import mail_native_id, store_mail
from normalizer import pipeline
from normalizer.classify import classify
from normalizer.cleanup import text_cleanup
from normalizer.config import DEFAULT_ACCOUNT_PATTERN, DEFAULT_CONTRACT_PATTERN, NormalizerConfig
from normalizer.draft import Draft
from normalizer.event import ComplaintEvent
from normalizer.identities import identities_in_text
from normalizer.language import language
from normalizer.pipeline import COMMON_STEPS, normalize
from normalizer.references import thread_references
from normalizer.structured import structured_fields
from tests.normalizer.conftest import CHANNEL_STEPS
from workers.app.runtime import Runtime
from workers.app.settings import Settings

NORMALIZER = Path(__file__).parents[2] / "normalizer"
RECEIVED = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)

# Two configurations that disagree on everything configurable.
DEFAULT = NormalizerConfig()
CUSTOM = NormalizerConfig.from_options(
    contract_pattern=r"\bДГ-(\d{4})\b",
    account_pattern=r"\bЛС-(\d{5})\b",
    email_limits=EmailLimits(max_message_bytes=1000),
    fax_senders=["Scanner@Fax.example.ru"],
)
TEXT = "Договор № 12-345678, лицевой счёт 123456789012. По-новому: ДГ-4321 и ЛС-98765. Верните деньги."


def web_submission(text: str, native_id: str = "w-1", channel: Channel = Channel.WEB) -> RawSubmission:
    return RawSubmission(submission_id=submission_id_for(channel, native_id), channel=channel, native_id=native_id,
                         received_at=RECEIVED, payload={"text": text})


def mail(sender: str, body: str = "Нет интернета третий день, прошу перерасчёт.") -> tuple[RawSubmission,
                                                                                            MemoryBlobStore]:
    data = (f"From: {sender}\r\nTo: claims@isp.example.ru\r\nSubject: Жалоба\r\nMessage-ID: <m1@example.ru>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
            f"\r\n{body}\r\n").encode()
    blobs = MemoryBlobStore()
    raw = store_mail(blobs, data, native_id=mail_native_id("claims", 7, 1), received_at=RECEIVED)
    return raw, blobs


def run(raw: RawSubmission, config: NormalizerConfig, blobs: MemoryBlobStore | None = None) -> ComplaintEvent:
    return normalize(raw, config=config, channel_steps=CHANNEL_STEPS, blobs=blobs)


# --- configuration: passed in, two coexist -------------------------------------------------------------------


def test_the_default_config_is_todays_defaults() -> None:
    config = NormalizerConfig()
    assert config.contract_pattern is DEFAULT_CONTRACT_PATTERN and config.account_pattern is DEFAULT_ACCOUNT_PATTERN
    assert config.email_limits == EmailLimits() and config.fax_senders == frozenset()
    assert NormalizerConfig.from_options() == config
    event = run(web_submission(TEXT), config)
    assert event.identities.contract_numbers == ["12-345678"]
    assert event.identities.account_numbers == ["123456789012"]


def test_the_config_is_frozen_and_keeps_its_own_copy_of_the_limits() -> None:
    limits = EmailLimits(max_message_bytes=400)
    config = NormalizerConfig(email_limits=limits, fax_senders=frozenset({" Fax@X.RU "}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.contract_pattern = re.compile("x")  # type: ignore[misc]
    limits.max_message_bytes = 1  # the caller's object changes afterwards: the configuration does not
    assert config.email_limits.max_message_bytes == 400
    assert config.fax_senders == frozenset({"fax@x.ru"})


def test_two_configs_used_alternately_give_their_own_identities() -> None:
    raw = web_submission(TEXT)
    for _ in range(3):  # alternately, in one process: nothing of one leaks into the other
        default = run(raw, DEFAULT)
        custom = run(raw, CUSTOM)
        assert (default.identities.contract_numbers, default.identities.account_numbers) == (
            ["12-345678"], ["123456789012"])
        assert (custom.identities.contract_numbers, custom.identities.account_numbers) == (["4321"], ["98765"])
        assert default.text == custom.text and default.demands == custom.demands == ["refund"]


def test_two_configs_used_alternately_give_their_own_email_limits() -> None:
    raw, blobs = mail("ivan@example.com", body="Нет интернета. " * 40)
    for _ in range(3):
        assert run(raw, DEFAULT, blobs).identities.emails == ["ivan@example.com"]
        with pytest.raises(BadSubmission, match="message size cap 1000"):
            run(raw, CUSTOM, blobs)


def test_two_configs_used_alternately_give_their_own_fax_gateways() -> None:
    raw, blobs = mail("scanner@fax.example.ru")
    for _ in range(3):
        client = run(raw, DEFAULT, blobs)
        fax = run(raw, CUSTOM, blobs)
        assert client.category != "fax" and client.identities.emails == ["scanner@fax.example.ru"]
        assert client.reply_to is not None and client.reply_to.address == "scanner@fax.example.ru"
        assert fax.category == "fax" and fax.identities.emails == [] and fax.reply_to is None


def test_the_signature_contract_number_uses_the_configured_pattern() -> None:
    body = "Нет интернета третий день.\r\n\r\n-- \r\nИван Петров\r\nДГ-5555, договор 98-765432"
    raw, blobs = mail("ivan@example.com", body=body)
    assert "98-765432" in run(raw, DEFAULT, blobs).identities.contract_numbers
    assert "98-765432" not in run(raw, CUSTOM, blobs).identities.contract_numbers
    assert "5555" in run(raw, CUSTOM, blobs).identities.contract_numbers


def test_steps_read_the_config_of_their_draft() -> None:
    draft = Draft(raw=web_submission(TEXT), config=CUSTOM, text=TEXT)
    identities_in_text(draft)
    assert draft.identities.contract_numbers == ["4321"]


def test_the_runtime_builds_the_config_from_the_settings() -> None:
    settings = Settings(contract_pattern=r"\bДГ-(\d{4})\b", email_limits=EmailLimits(max_parts=3),
                        fax_gateway_senders=["@Fax.example.ru"])
    config = Runtime(settings).normalizer_config
    assert config.contract_pattern.pattern == r"\bДГ-(\d{4})\b" and config.contract_pattern.flags & re.I
    assert config.account_pattern is DEFAULT_ACCOUNT_PATTERN
    assert config.email_limits.max_parts == 3 and config.fax_senders == frozenset({"@fax.example.ru"})
    assert Runtime(Settings()).normalizer_config.contract_pattern is DEFAULT_CONTRACT_PATTERN


# --- the channel step comes from the mapping ---------------------------------------------------------------------


def test_a_channel_without_a_step_is_a_bad_submission() -> None:
    # Every channel of the registry has its step now: a mapping without the post channel's stands for one.
    without_post = {channel: step for channel, step in CHANNEL_STEPS.items() if channel is not Channel.POST}
    with pytest.raises(BadSubmission, match="no normalizer step for the post channel"):
        normalize(web_submission(TEXT, channel=Channel.POST), config=DEFAULT, channel_steps=without_post)
    with pytest.raises(BadSubmission, match="нет шага нормализации"):
        normalize(web_submission(TEXT), config=DEFAULT, channel_steps={})


def test_only_the_submissions_own_channel_step_runs() -> None:
    called: list[Channel] = []

    def recorder(channel: Channel) -> pipeline.Step:
        def step(draft: Draft) -> None:
            called.append(channel)
            draft.text = f"from the {channel} step"
        return step

    steps = {channel: recorder(channel) for channel in Channel}
    event = normalize(web_submission(TEXT, channel=Channel.PHONE), config=DEFAULT, channel_steps=steps)
    assert called == [Channel.PHONE] and event.text == "from the phone step"


def test_the_registry_mapping_reaches_every_channel_step() -> None:
    assert CHANNEL_STEPS[Channel.WEB] is structured_fields and CHANNEL_STEPS[Channel.PHONE] is structured_fields
    assert {Channel.EMAIL, Channel.VK, Channel.OK, Channel.TELEGRAM} <= set(CHANNEL_STEPS)


def test_the_common_steps_follow_in_order() -> None:
    assert COMMON_STEPS == (text_cleanup, identities_in_text, thread_references, classify, language)


# --- the sources: no channel in the pipeline, no globals in the normalizer -----------------------------------------


def _words(tree: ast.AST) -> set[str]:
    """Every identifier, attribute, imported module and string of a module, split into lower-case words."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.append(node.id)
        elif isinstance(node, ast.Attribute):
            found.append(node.attr)
        elif isinstance(node, ast.alias):
            found.extend((node.name, node.asname or ""))
        elif isinstance(node, ast.ImportFrom):
            found.append(node.module or "")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            found.append(node.name)
    return {word for text in found for word in re.split(r"[^a-z0-9]+", text.lower()) if word}


def test_the_pipeline_module_names_no_channel() -> None:
    source = (NORMALIZER / "pipeline.py").read_text(encoding="utf-8")
    channel_words = {channel.value for channel in Channel} | {"structured"}
    assert not _words(ast.parse(source)) & channel_words
    assert not re.search(r"Channel\.[A-Z]", source)


def test_the_word_check_sees_a_channel() -> None:
    # The check above can fail: a module that imports a channel step or compares with a channel is caught.
    bad = "from normalizer.vk import vk_message\nif raw.channel is Channel.OK:\n    pass\n"
    assert {"vk", "ok"} <= _words(ast.parse(bad))


def test_the_normalizer_has_no_globals_and_no_configure() -> None:
    offenders = []
    for path in sorted(NORMALIZER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Global | ast.Nonlocal) or (
                    isinstance(node, ast.FunctionDef) and node.name == "configure"):
                offenders.append(f"{path.relative_to(NORMALIZER)}:{node.lineno}")
    assert offenders == []


def test_the_normalizer_imports_no_upper_layer() -> None:
    upper = ("workers", "router")
    offenders = []
    for path in sorted(NORMALIZER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in upper]
    assert offenders == []

"""``LOG_FORMAT``: plain lines by default, one JSON object per line with ``json``; the real
server process's own lines are parsed."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from bot_process import StartBot, bot_server_fixture  # noqa: F401
from e2e_support import app_bot, deliver_and_wait
from fake_github import FakeGitHub
from fake_github.webhooks import push_payload

from bot.context import DELIVERY_LOGGER, delivery_log
from bot.log_format import JsonFormatter, formatter

NOTES = "# Sync 2024-05-02\n\n## Action items\n- TODO: book the room\n"


def record_of(adapter: logging.LoggerAdapter[logging.Logger], message: str) -> logging.LogRecord:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    adapter.logger.addHandler(keep)
    try:
        try:
            raise ValueError("bad\nthing")
        except ValueError:
            adapter.exception(message)
    finally:
        adapter.logger.removeHandler(keep)
    (record,) = records
    return record


def test_a_delivery_record_is_one_json_line_with_the_deliverys_fields() -> None:
    adapter = delivery_log(
        "d-1",
        logging.getLogger("test.log_format"),
        event="push",
        repository="acme/notes",
        installation=7,
    )
    line = JsonFormatter().format(record_of(adapter, "went wrong"))
    assert "\n" not in line
    data = orjson.loads(line)
    assert data.pop("time").endswith("+00:00")
    assert data.pop("exception").splitlines()[-2:] == ["ValueError: bad", "thing"]
    assert data == {
        "level": "ERROR",
        "logger": "test.log_format",
        "message": "delivery=d-1 went wrong",
        "delivery_id": "d-1",
        "repository": "acme/notes",
        "installation": 7,
        "event": "push",
    }


def test_fields_not_known_are_left_out_and_text_stays_the_plain_line() -> None:
    record = record_of(delivery_log("d-2", logging.getLogger("test.log_format")), "hello")
    record.exc_info = record.exc_text = None
    data = orjson.loads(formatter("json").format(record))
    assert set(data) == {"time", "level", "logger", "message", "delivery_id"}
    assert formatter("text").format(record).endswith(" ERROR test.log_format delivery=d-2 hello")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT=xml is not text or json"):
        formatter("xml")


async def test_an_unknown_log_format_refuses_to_start(bot_server: StartBot) -> None:
    bot = await bot_server(wait=False, env={"LOG_FORMAT": "xml"})
    assert await bot.wait_exit(30) == 2
    assert bot.stderr().splitlines() == ["meeting-todo-bot: LOG_FORMAT=xml is not text or json"]


def parsed_lines(text: str) -> list[dict[str, Any]]:
    """Every line of the log as JSON (a line that is not fails the test)."""
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    return lines


@pytest.mark.skipif(sys.platform == "win32", reason="the Procfile's shell")
async def test_the_real_server_writes_one_json_object_per_line(tmp_path: Path) -> None:
    with FakeGitHub() as fake:
        fake.strict_headers = True  # the bot is the client
        repo = fake.add_repo("acme/notes", installation_id=3)
        before, after = repo.push({"meetings/2024-05-02.md": NOTES})
        async with app_bot(fake, tmp_path, {"LOG_FORMAT": "json"}) as bot:
            await deliver_and_wait(
                bot, "push", push_payload(fake, repo, before, after), delivery_id="json-1"
            )
        assert fake.clear_violations() == []
    lines = parsed_lines(bot.stderr())
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["message"].startswith("listening on") for line in lines)
    handled = [
        line
        for line in lines
        if line["logger"] == DELIVERY_LOGGER and line.get("repository") == "acme/notes"
    ]
    assert handled, lines
    for line in handled:
        assert (line["delivery_id"], line["installation"], line["event"]) == ("json-1", 3, "push")
        assert line["message"].startswith("delivery=json-1 ")


async def test_text_stays_the_default(tmp_path: Path) -> None:
    with FakeGitHub() as fake:
        async with app_bot(fake, tmp_path) as bot:
            pass
    first = bot.stderr().splitlines()[0]
    assert not first.startswith("{")
    assert " INFO bot.web.server listening on " in first

"""Logs for people: on a terminal in development, readable console lines; JSON otherwise.
Redaction holds in both renderings."""

from __future__ import annotations

import logging
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from core.settings import Settings
from server.observability import log_formatter
from stand_ins.process import free_port
from tests.e2e.processes import process_env

READY = "Application startup complete"


def _read_terminal_until(fd: int, process: subprocess.Popen[bytes], needle: str) -> str:
    """What the process wrote to its terminal, up to the line holding `needle`."""
    seen = b""
    deadline = time.monotonic() + 120
    while needle.encode() not in seen:
        assert time.monotonic() < deadline and process.poll() is None, seen.decode(errors="replace")
        readable, _, _ = select.select([fd], [], [], 1)
        if readable:
            seen += os.read(fd, 65536)
    return seen.decode(errors="replace")


def test_serve_on_a_terminal_writes_console_lines(settings: Settings) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(free_port())],
        env=process_env(settings, TESSERA_ENV="development", TESSERA_LOG_FORMAT="auto"),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    try:
        output = _read_terminal_until(controller, process, READY)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        os.close(controller)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)  # colours: it is a terminal
    assert plain != output
    lines = [line for line in plain.splitlines() if READY in line]
    assert lines and not lines[0].lstrip().startswith("{"), output
    assert "[info" in lines[0]  # structlog's console renderer: "2026-… [info     ] event"
    assert "request_id=None" not in output


@pytest.mark.parametrize("console", [True, False], ids=["console", "json"])
def test_both_renderings_redact_secrets(console: bool) -> None:
    record = logging.LogRecord(
        "t",
        logging.ERROR,
        __file__,
        1,
        "login failed for %s with password=%s",
        ("kim.minjun@example.com", "Hunter-2-Hunter!"),
        None,
    )
    record.authorization = "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln"
    rendered = log_formatter(console=console).format(record)
    assert rendered.lstrip().startswith("{") is not console
    for secret in ("kim.minjun", "Hunter-2-Hunter!", "eyJhbGciOiJFZERTQSJ9"):
        assert secret not in rendered

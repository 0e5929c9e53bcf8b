"""The progress views: plain lines off a terminal, a live table with marks and timings on one."""

from __future__ import annotations

import io

from orchestrator.progress import LiveProgress, PlainProgress


def test_plain_lines_with_timings_when_done() -> None:
    out = io.StringIO()
    progress = PlainProgress(out)
    progress.update("Container", "app-web-1", "Creating")
    progress.update("Container", "app-web-1", "Started", done=True)
    progress.fail("Container", "app-db-1", "Error")
    progress.note("pycompose: warning: something")
    lines = out.getvalue().splitlines()
    assert lines[0] == " Container app-web-1  Creating"
    assert lines[1].startswith(" Container app-web-1  Started ") and lines[1].endswith("s")
    assert lines[2] == " Container app-db-1  Error"
    assert lines[3] == "pycompose: warning: something"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_view_counts_finished_lines_and_marks_failures() -> None:
    out = Terminal()
    progress = LiveProgress(out, title="Running")
    progress.update("Network", "app_default", "Created", done=True)
    progress.update("Container", "app-web-1", "Starting")
    progress.fail("Container", "app-db-1", "Error")
    progress.close()
    text = out.getvalue()
    assert "[+] Running 2/3" in text
    assert "✔" in text and "✘" in text
    assert "Network app_default" in text and "Starting" in text

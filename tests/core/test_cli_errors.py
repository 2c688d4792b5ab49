"""The command line on bad input: clear message, documented exit code, no output file."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "wholebody_core", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize("name,content,message", [
    ("missing.mp4", None, "does not exist"),
    ("empty.mp4", b"", "empty"),
    ("text.mp4", b"definitely not a video\n" * 40, "cannot be opened|no decodable"),
    ("table.csv", b"a,b\n", "unsupported file type"),
])
def test_bad_input_exits_2_with_a_message_and_no_file(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out.capture.npz"
    result = run_cli(path, "-o", out)
    assert result.returncode == 2, result.stderr
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert __import__("re").search(message, result.stderr)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ([name] if content is not None else [])


def test_json_progress_reports_errors_as_records(tmp_path):
    result = run_cli(tmp_path / "missing.mp4", "-o", tmp_path / "o.capture.npz", "--json-progress")
    assert result.returncode == 2
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[-1]["event"] == "error" and records[-1]["exit_code"] == 2
    assert "does not exist" in records[-1]["message"]


def test_existing_output_needs_overwrite(tmp_path):
    out = tmp_path / "out.capture.npz"
    out.write_bytes(b"the user's precious file")
    result = run_cli(tmp_path / "whatever.mp4", "-o", out)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert out.read_bytes() == b"the user's precious file"


def test_unwritable_output_folder(tmp_path):
    result = run_cli(tmp_path / "x.mp4", "-o", tmp_path / "no" / "such" / "folder" / "o.capture.npz")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_usage_error_exits_2():
    result = run_cli("--device", "tpu", "x.mp4")
    assert result.returncode == 2 and "invalid choice" in result.stderr

"""Config loading: good files load, bad files give one clear line naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.config import format_loc, load_config
from curate.errors import ConfigError
from helpers import run_cli, write_config

ROOT = Path(__file__).resolve().parents[2]


def base(tmp_path: Path) -> dict:
    (tmp_path / "t.jsonl").write_text('{"q": "hi", "a": "hello"}\n')
    return {
        "name": "t",
        "sources": [{"type": "jsonl", "path": "t.jsonl", "fields": {"user": "q", "assistant": "a"}}],
    }


def test_example_config_loads():
    cfg = load_config(ROOT / "examples/support-tickets/curate.yaml")
    assert cfg.name == "support-tickets"
    assert cfg.sources[0].type == "csv"
    assert cfg.base_dir == (ROOT / "examples/support-tickets")


def test_unknown_key_names_file_line_and_path(tmp_path):
    data = base(tmp_path)
    data["dedup"] = {"enabled": True}
    p = write_config(tmp_path / "curate.yaml", data)
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = exc.value.message
    assert msg.startswith(f"{p}:")
    assert "dedup: unknown key (did you mean 'dedupe'?)" in msg
    assert exc.value.exit_code == 2


def test_unknown_nested_key(tmp_path):
    data = base(tmp_path)
    data["sources"][0]["fields"]["usr"] = "q"
    p = write_config(tmp_path / "curate.yaml", data)
    with pytest.raises(ConfigError, match=r"sources\[0\]\.fields\.usr: unknown key \(did you mean 'user'\?\)"):
        load_config(p)


def test_missing_file_names_source_index(tmp_path):
    data = base(tmp_path)
    data["sources"].append({"type": "csv", "path": "nope.csv", "fields": {"text": "body"}})
    p = write_config(tmp_path / "curate.yaml", data)
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert "sources[1].path: file not found: nope.csv" in exc.value.message
    # the line of the bad key
    line = next(i for i, l in enumerate(p.read_text().splitlines(), 1) if "nope.csv" in l)
    assert exc.value.message.startswith(f"{p}:{line}:")


def test_unknown_source_type_suggests(tmp_path):
    data = base(tmp_path)
    data["sources"][0]["type"] = "jsnl"
    p = write_config(tmp_path / "curate.yaml", data)
    with pytest.raises(ConfigError, match=r"sources\[0\]\.type: unknown source type 'jsnl' \(did you mean 'jsonl'\?\)"):
        load_config(p)


def test_wrong_type_and_missing_required(tmp_path):
    data = base(tmp_path)
    data["select"] = {"budget": "lots"}
    p = write_config(tmp_path / "curate.yaml", data)
    with pytest.raises(ConfigError, match=r"select\.budget: "):
        load_config(p)
    del data["select"]
    del data["name"]
    p = write_config(tmp_path / "curate.yaml", data)
    with pytest.raises(ConfigError, match=r"name: missing"):
        load_config(p)


def test_field_map_needs_content(tmp_path):
    data = base(tmp_path)
    data["sources"][0]["fields"] = {"id": "q"}
    p = write_config(tmp_path / "curate.yaml", data)
    with pytest.raises(ConfigError, match=r"sources\[0\]\.fields: name at least one of"):
        load_config(p)


def test_invalid_yaml_has_line(tmp_path):
    p = tmp_path / "curate.yaml"
    p.write_text("name: t\nsources:\n  - type: jsonl\n   path: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"{p}:\d+: invalid YAML"):
        load_config(p)


def test_empty_and_missing_config(tmp_path):
    p = tmp_path / "curate.yaml"
    p.write_text("")
    with pytest.raises(ConfigError, match="empty"):
        load_config(p)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")


def test_format_loc():
    assert format_loc(("sources", 1, "path")) == "sources[1].path"
    assert format_loc(()) == "(top level)"


def test_cli_bad_config_exits_2_with_one_line(tmp_path):
    data = base(tmp_path)
    data["sources"][0]["path"] = "missing.jsonl"
    p = write_config(tmp_path / "curate.yaml", data)
    r = run_cli("build", str(p), "-q", cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert "sources[0].path: file not found: missing.jsonl" in lines[0]

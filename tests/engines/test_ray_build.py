"""`curate build --engine ray` end to end: the example's slice gives the local engine's
tables; `--address` joins an existing cluster; without Ray installed the command says how
to install it."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml
from helpers import run_cli
from ray_testdata import write_slice

from curate.config import load_config
from curate.pipeline import build

TABLES = ("ingest", "redact", "dedupe", "filter", "embed", "select")


@pytest.fixture(scope="module")
def short_tmp():
    """Ray's unix sockets live under its temporary folder and must keep short paths."""
    path = Path(tempfile.mkdtemp(prefix="crt", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def ray_processes_under(folder: Path) -> list[int]:
    import psutil

    out = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(str(folder) in part for part in (p.info["cmdline"] or [])):
                out.append(p.info["pid"])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory, short_tmp):
    """The slice built by the local engine (in process) and by `curate build --engine ray`."""
    folder = tmp_path_factory.mktemp("slice")
    config = write_slice(folder)
    local = build(load_config(config), runs_dir=folder / "local").run.root
    ray_tmp = short_tmp / "ray"
    ray_tmp.mkdir()
    proc = run_cli("build", str(config), "--engine", "ray", "--runs-dir", str(folder / "ray"), "--quiet",
                   cwd=folder, env={"TMPDIR": str(ray_tmp)})
    return local, folder / "ray" / "slice", proc, ray_tmp


def test_ray_build_gives_the_local_tables(builds):
    local, ray_run, proc, _ = builds
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in TABLES:
        a, b = pl.read_parquet(local / f"{name}.parquet"), pl.read_parquet(ray_run / f"{name}.parquet")
        assert b.equals(a), name
        assert pq.read_schema(ray_run / f"{name}.parquet").equals(pq.read_schema(local / f"{name}.parquet")), name
    assert (ray_run / "export" / "train.jsonl").read_bytes() == (local / "export" / "train.jsonl").read_bytes()
    # the same run folder layout
    files = {p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()}
    assert files == {p.relative_to(ray_run).as_posix() for p in ray_run.rglob("*") if p.is_file()}


def test_same_counts_groups_and_selection(builds):
    local, ray_run, _, _ = builds
    m_local = json.loads((local / "manifest.json").read_text())
    m_ray = json.loads((ray_run / "manifest.json").read_text())
    assert m_ray["engine"] == "ray" and m_local["engine"] == "local"
    for name in TABLES + ("export",):
        a, b = m_local["stages"][name], m_ray["stages"][name]
        assert (a["records_in"], a["records_out"], a["dropped"]) == (b["records_in"], b["records_out"], b["dropped"]), name
    dl, dr = m_local["stages"]["dedupe"]["stats"], m_ray["stages"]["dedupe"]["stats"]
    for key in ("groups", "group_sizes", "largest_groups", "dropped", "candidate_pairs", "exact_checked_pairs",
                "duplicate_pairs", "buckets", "largest_bucket", "distinct_texts"):
        assert dr[key] == dl[key], key
    # the slice really has what is compared: exact and near duplicates, pairs decided on
    # their true Jaccard, a quality drop, redactions and a budget
    assert dl["dropped"]["exact_duplicate"] > 0 and dl["dropped"]["near_duplicate"] > 0
    assert dl["exact_checked_pairs"] > 0 and dl["candidate_pairs"] > dl["duplicate_pairs"]
    assert m_local["stages"]["filter"]["dropped"].get("too_short") == 1
    assert {"PERSON", "EMAIL_ADDRESS"} <= set(m_local["stages"]["redact"]["stats"]["entities"])
    sl, sr = m_local["stages"]["select"]["stats"], m_ray["stages"]["select"]["stats"]
    assert (sr["k"], sr["clusters"], sr["selected"]) == (sl["k"], sl["clusters"], sl["selected"])
    el, er = m_local["stages"]["embed"]["stats"], m_ray["stages"]["embed"]["stats"]
    assert (er["embedded"], er["device"], er["padding_share"]) == (el["embedded"], el["device"], el["padding_share"])
    selected = pl.read_parquet(ray_run / "select.parquet").filter(pl.col("selected"))
    assert selected.height == 30


def test_the_local_ray_is_gone_after_the_build(builds):
    _, _, proc, ray_tmp = builds
    assert proc.returncode == 0
    assert not ray_processes_under(ray_tmp)
    assert not list(ray_tmp.glob("curate-ray-*"))  # its temporary folder removed


def test_ray_build_resumes_like_the_local_one(builds, short_tmp):
    """A second build of the same run skips every stage: the Ray engine's outputs keep
    their checksums and fingerprints."""
    _, ray_run, _, _ = builds
    config = ray_run.parent.parent / "curate.yaml"
    proc = run_cli("build", str(config), "--engine", "ray", "--runs-dir", str(ray_run.parent), "--quiet",
                   cwd=config.parent, env={"TMPDIR": str(short_tmp)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "up to date, skipped: ingest, redact, dedupe, filter, embed, select, export" in proc.stdout


@pytest.fixture
def cluster(short_tmp):
    """An existing Ray cluster on this machine (loopback only, token authentication),
    started by a process of its own, as `ray start --head` would."""
    token = secrets.token_hex(32)
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
           "RAY_USAGE_STATS_ENABLED": "0", "TMPDIR": str(short_tmp)}
    code = (
        "import ray, sys, time\n"
        "ray.init(num_cpus=2, include_dashboard=False)\n"
        "print(ray.get_runtime_context().gcs_address, flush=True)\n"
        "sys.stdin.read()\n"  # until the test closes stdin
    )
    host = subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        address = host.stdout.readline().strip()
        assert address, "the cluster did not start"
        yield address, {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}, host
    finally:
        host.stdin.close()
        try:
            host.wait(timeout=60)
        except subprocess.TimeoutExpired:
            host.kill()
            host.wait()


def test_address_connects_to_an_existing_cluster(cluster, tmp_path):
    address, auth, host = cluster
    config = write_slice(tmp_path)
    cfg = yaml.safe_load(config.read_text())
    cfg.update(redact={"enabled": False}, embed={"enabled": False}, select={"enabled": False})
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    local = build(load_config(config), runs_dir=tmp_path / "local", until="dedupe", report=False).run.root
    proc = run_cli("build", str(config), "--engine", "ray", "--address", address, "--until", "dedupe",
                   "--runs-dir", str(tmp_path / "ray"), "--quiet", cwd=tmp_path, env=auth)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = pl.read_parquet(tmp_path / "ray" / "slice" / "dedupe.parquet")
    assert out.equals(pl.read_parquet(local / "dedupe.parquet"))
    assert out["drop_reason"].drop_nulls().len() > 0
    # the build only disconnected: the cluster it joined is still up
    assert host.poll() is None


def test_without_ray_the_engine_says_how_to_install_it(tmp_path):
    """A Python whose sys.path is this environment's minus Ray (every other installed
    package stays importable)."""
    import site

    site_dir = Path(next(p for p in site.getsitepackages() if p.endswith("site-packages")))
    view = tmp_path / "site"
    view.mkdir()
    for entry in site_dir.iterdir():
        if entry.name == "ray" or entry.name.startswith("ray-"):
            continue
        (view / entry.name).symlink_to(entry)
    root = Path(__file__).resolve().parents[2]
    config = write_slice(tmp_path / "p")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(view)]), "COLUMNS": "200"}
    check = subprocess.run([sys.executable, "-S", "-c", "import curate.engines, polars; import ray"],
                           env=env, capture_output=True, text=True, check=False)
    assert "No module named 'ray'" in check.stderr  # the view really hides Ray, and only Ray
    proc = subprocess.run([sys.executable, "-S", "-m", "curate", "build", str(config), "--engine", "ray",
                           "--runs-dir", str(tmp_path / "runs")], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "The ray engine needs the Python package 'ray', which is not installed" in proc.stderr
    assert "pip install" in proc.stderr and "Traceback" not in proc.stderr
    # the whole message, extra included, as get_engine raises it
    code = ("from curate.engines import get_engine\nfrom curate.engines.config import EngineConfig\n"
            "try:\n    get_engine(EngineConfig(type='ray'))\nexcept Exception as exc:\n    print(type(exc).__name__, exc)")
    api = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True, text=True, check=False)
    assert "MissingExtraError" in api.stdout and "pip install 'curate[ray]'" in api.stdout, api.stdout + api.stderr

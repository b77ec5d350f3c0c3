"""A failed write gives one clear error and no file that looks complete: a full disk (a
small tmpfs, filled until only the manifest fits) in each stage in turn, a read-only run
folder, a runs folder that cannot be created, and commands writing to a read-only folder.
The file systems are real, mounted in a private mount namespace by disk_driver.py (root:
`unshare -m`; otherwise `unshare -rm`, an unprivileged user namespace)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_data import disk_project
from reliability_support import curate_env, output_digests, run_curate, stage_status

DRIVER = Path(__file__).resolve().parent / "disk_driver.py"
STAGES = ["ingest", "redact", "dedupe", "filter", "embed", "select", "export"]
#: the file each stage fails to write on a full disk (embed writes its vector cache first)
FAILS_ON = {
    "ingest": "ingest.parquet", "redact": "redact.parquet", "dedupe": "dedupe.parquet", "filter": "filter.parquet",
    "embed": "cache/embed-all-minilm-l6-v2-request.parquet", "select": "select.parquet",
    "export": "export/train.jsonl",
}


def unshare() -> list[str]:
    """How to get a private mount namespace here: as root with CAP_SYS_ADMIN `unshare -m`,
    else an unprivileged user namespace (`unshare -rm`)."""
    tried = []
    for cmd in (["unshare", "-m"], ["unshare", "-rm"]):
        if cmd == ["unshare", "-m"] and os.geteuid() != 0:
            continue
        r = subprocess.run([*cmd, "sh", "-c", "mount -t tmpfs tmpfs /mnt || mount -t tmpfs tmpfs /tmp"],
                           capture_output=True, text=True, check=False)
        if r.returncode == 0:
            return cmd
        tried.append(f"{' '.join(cmd)}: {r.stderr.strip()}")
    raise AssertionError("these tests mount a tmpfs in a private mount namespace; neither works here: " + "; ".join(tried))


def in_private_mounts(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    r = subprocess.run([*unshare(), sys.executable, str(DRIVER), *args], cwd=cwd, env=curate_env(),
                       capture_output=True, text=True, timeout=1500, check=False)
    assert r.returncode == 0, f"the driver failed:\n{r.stdout}\n{r.stderr}"
    return r


def one_clear_line(result: dict, *needles: str) -> str:
    """The command failed with exit code 1 and one line on stderr holding ``needles``."""
    err = result["stderr"].strip()
    assert result["rc"] == 1, result
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, err
    return err


@pytest.fixture(scope="module")
def disk(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("disk")
    disk_project(project)
    return project


@pytest.mark.slow
def test_full_disk_in_every_stage(disk, tmp_path):
    reference = tmp_path / "reference"
    r = run_curate("build", "curate.yaml", "--runs-dir", str(reference), "-q", cwd=disk)
    assert r.returncode == 0, r.stderr
    mount = tmp_path / "mnt"
    mount.mkdir()
    in_private_mounts("full", str(disk), str(mount), str(tmp_path / "full.json"), cwd=disk)
    seen = json.loads((tmp_path / "full.json").read_text())
    for i, stage in enumerate(STAGES):
        s = seen["stages"][stage]
        one_clear_line(s, f"cannot write {mount}/runs/disk/{FAILS_ON[stage]}: No space left on device")
        # the manifest says where it stopped and why; nothing of the stage looks complete
        assert s["entry"]["status"] == "failed", s["entry"]
        assert "No space left on device" in s["entry"]["error"]
        assert s["temp_files"] == []
        output = "export/manifest.json" if stage == "export" else f"{stage}.parquet"
        assert output not in s["files"], stage
        # the stages before it are untouched: their files still match their checksums
        assert s["intact"] == {done: True for done in STAGES[:i]}, s["intact"]
    final = seen["final"]
    assert final["rc"] == 0, final["stderr"]
    assert final["temp_files"] == []
    # once the disk has room again, the same build finishes with the same outputs
    assert final["digests"] == output_digests(reference / "disk")


def test_read_only_folders_give_clear_errors(drops_build, tmp_path):
    mount = tmp_path / "mnt"
    mount.mkdir()
    in_private_mounts("readonly", str(drops_build.project), str(mount), str(tmp_path / "ro.json"),
                      str(drops_build.run), cwd=drops_build.project)
    seen = json.loads((tmp_path / "ro.json").read_text())
    # a finished run on a read-only file system: a forced rebuild stops at the first write
    one_clear_line(seen["force"], "cannot write", "manifest.json: Read-only file system")
    assert seen["force"]["unchanged"] and seen["force"]["temp_files"] == []
    one_clear_line(seen["new_run"], f"cannot create the run folder {mount}/ro/runs/drops: Read-only file system")
    one_clear_line(seen["export"], f"cannot create the export folder {mount}/ro/export: Read-only file system")
    one_clear_line(seen["report"], f"cannot write {mount}/ro/report.html: Read-only file system")
    one_clear_line(seen["ingest"], f"cannot write {mount}/ro/records.jsonl: Read-only file system")
    assert seen["ro_listing"] == []


def test_a_second_build_of_the_same_run_stops_clearly(drops_build, tmp_path):
    """Two builds of one run folder at once would interleave their manifest updates: the
    second one stops with a clear error and the first goes on. (The first is frozen with
    SIGSTOP while the second tries, so it cannot finish in between.)"""
    runs = tmp_path / "runs"
    shutil.copytree(drops_build.run, runs / "drops")
    # without the kept split and the dataset versions the rebuild exports as the reference
    # did, so the files compare byte for byte (with them, the card and manifest say how
    # many sides were kept and name the reference's export as the parent version)
    (runs / "drops" / "split.json").unlink()
    shutil.rmtree(runs / "drops" / "versions", ignore_errors=True)
    first = subprocess.Popen([sys.executable, "-m", "curate", "build", "curate.yaml", "--runs-dir", str(runs),
                              "--from", "dedupe", "-q"], cwd=drops_build.project, env=curate_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while stage_status(runs / "drops", "dedupe") != "running":
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGSTOP)
        second = run_curate("build", "curate.yaml", "--runs-dir", str(runs), "-q", cwd=drops_build.project)
        os.kill(first.pid, signal.SIGCONT)
        one_clear_line({"rc": second.returncode, "stderr": second.stderr},
                       "another curate build is running in this run folder")
    finally:
        os.kill(first.pid, signal.SIGCONT)
        _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert output_digests(runs / "drops") == output_digests(drops_build.run)

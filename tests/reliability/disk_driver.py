"""Failed writes on real file systems, run inside a private mount namespace (`unshare -m`,
or `unshare -rm` without root) so that the small tmpfs and the read-only bind mounts it
makes exist only for this process and its children and vanish with them.

    python disk_driver.py full PROJECT MOUNTPOINT RESULT.json
    python disk_driver.py readonly PROJECT MOUNTPOINT RESULT.json REFERENCE_RUN

``full``: a build is run up to the stage before each stage in turn, the disk is filled
until only a little more than the manifest's size is free, and the real `curate build` is
run: it must stop in that stage with a clear error and leave no file that looks complete.
Then the filler is removed and the next stage is tried. At the end a build on the freed
disk finishes. ``readonly``: a finished run folder mounted read-only, a runs folder on a
read-only file system, and `curate export` / `curate report` / `curate ingest` writing to
one. What was seen goes to RESULT.json; the test asserts on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_support import curate_cmd, curate_env, output_digests, sha256, temp_files

STAGES = ["ingest", "redact", "dedupe", "filter", "embed", "select", "export"]
PAGE = 4096


def sh(*args: str) -> None:
    subprocess.run(args, check=True)


def curate(*args: str, cwd: Path) -> dict:
    r = subprocess.run(curate_cmd(*args), cwd=cwd, env=curate_env(), capture_output=True, text=True,
                       timeout=900, check=False)
    return {"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr}


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(mount: Path, leave: int) -> Path:
    """Write a filler file so that about ``leave`` bytes stay free."""
    filler = mount / "filler"
    size = max(0, free_bytes(mount) - leave)
    with open(filler, "wb") as fh:
        fh.truncate(0)
        block = b"\0" * (1 << 20)
        while size > 0:
            n = min(size, len(block))
            fh.write(block[:n])
            size -= n
    return filler


def files_of(run: Path) -> dict[str, int]:
    return {p.relative_to(run).as_posix(): p.stat().st_size for p in sorted(run.rglob("*")) if p.is_file()} if run.exists() else {}


def intact(run: Path) -> dict[str, bool]:
    """Per done stage: do its files still match the checksums the manifest recorded?"""
    m = json.loads((run / "manifest.json").read_text())
    out = {}
    for name, e in m.get("stages", {}).items():
        if e.get("status") == "done":
            out[name] = all((run / f).exists() and sha256(run / f) == d for f, d in e.get("checksums", {}).items())
    return out


def full(project: Path, mount: Path, result: Path) -> None:
    sh("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount))
    runs = mount / "runs"
    run = runs / "disk"
    seen: dict = {"stages": {}}
    for i, stage in enumerate(STAGES):
        if i:
            r = curate("build", "curate.yaml", "--runs-dir", str(runs), "--until", STAGES[i - 1], "-q", cwd=project)
            assert r["rc"] == 0, r
        # room for the manifest (rewritten at the start and when the stage starts) and a
        # few pages more: the stage's own output does not fit
        leave = (run / "manifest.json").stat().st_size + 4 * PAGE if run.exists() else 8 * PAGE
        filler = fill(mount, leave)
        r = curate("build", "curate.yaml", "--runs-dir", str(runs), "-q", cwd=project)
        manifest = json.loads((run / "manifest.json").read_text())
        seen["stages"][stage] = {
            **r,
            "free_before": leave,
            "entry": manifest["stages"].get(stage),
            "files": files_of(run),
            "temp_files": temp_files(run),
            "intact": intact(run),
        }
        filler.unlink()
    r = curate("build", "curate.yaml", "--runs-dir", str(runs), "-q", cwd=project)
    seen["final"] = {**r, "digests": output_digests(run), "temp_files": temp_files(run)}
    result.write_text(json.dumps(seen, indent=1))


def read_only(mount: Path, project: Path, result: Path, reference: Path) -> None:
    sh("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount))
    seen: dict = {}
    # a finished run folder, then mounted read-only: a forced rebuild cannot write
    runs = mount / "runs"
    shutil.copytree(reference, runs / reference.name)
    run = runs / reference.name
    before = {p: sha256(run / p) for p in files_of(run)}
    sh("mount", "--bind", str(runs), str(runs))
    sh("mount", "-o", "remount,bind,ro", str(runs))
    seen["force"] = curate("build", "curate.yaml", "--runs-dir", str(runs), "--force", "-q", cwd=project)
    seen["force"]["unchanged"] = before == {p: sha256(run / p) for p in files_of(run)}
    seen["force"]["temp_files"] = temp_files(run)
    # a runs folder that cannot be created
    ro = mount / "ro"
    ro.mkdir()
    sh("mount", "--bind", str(ro), str(ro))
    sh("mount", "-o", "remount,bind,ro", str(ro))
    seen["new_run"] = curate("build", "curate.yaml", "--runs-dir", str(ro / "runs"), "-q", cwd=project)
    # commands that write elsewhere
    seen["export"] = curate("export", str(run), "-o", str(ro / "export"), cwd=project)
    seen["report"] = curate("report", str(run), "-o", str(ro / "report.html"), cwd=project)
    seen["ingest"] = curate("ingest", "curate.yaml", "-o", str(ro / "records.jsonl"), "-q", cwd=project)
    seen["ro_listing"] = sorted(p.name for p in ro.iterdir())
    result.write_text(json.dumps(seen, indent=1))


if __name__ == "__main__":
    what, project, mount, result = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    if what == "full":
        full(project, mount, result)
    else:
        read_only(mount, project, result, Path(sys.argv[5]))

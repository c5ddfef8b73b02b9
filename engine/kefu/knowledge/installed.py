"""Loading a built pack (an installed or extracted archive) into ready-to-serve plugins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.contracts import Embedder, PluginContext
from kefu.knowledge.archive import verify_directory
from kefu.knowledge.build import INTENT_DIR, PACK_DIR, RETRIEVER_DIR
from kefu.knowledge.errors import EmbeddingMismatchError, PackError
from kefu.knowledge.loader import load_pack
from kefu.knowledge.model import Pack
from kefu.knowledge.plugins import PackPlugins, build_plugins, uses_embeddings
from kefu.registry import PluginError


@dataclass(frozen=True, slots=True)
class LoadedPack:
    """A built pack with its trained plugins, ready to answer."""

    manifest: dict[str, Any]
    pack: Pack
    plugins: PackPlugins
    directory: Path

    @property
    def name(self) -> str:
        """The pack's name."""
        return self.pack.name

    @property
    def version(self) -> str:
        """The pack's version."""
        return self.pack.version


def check_embedding(manifest: dict[str, Any], embedder: Embedder, where: str) -> None:
    """Refuse a pack whose index was built with another embedding model or dimension."""
    recorded = manifest.get("embedding")
    if recorded is None:
        return
    if not isinstance(recorded, dict):
        raise EmbeddingMismatchError(f"{where}: the manifest's 'embedding' entry is malformed")
    if recorded.get("dimension") != embedder.dimension:
        raise EmbeddingMismatchError(
            f"{where} was built with {recorded.get('dimension')}-dimensional embeddings "
            f"({recorded.get('model_id')}); this Kefu embeds with {embedder.model_id} in "
            f"{embedder.dimension} dimensions: rebuild the pack"
        )
    if recorded.get("model_id") != embedder.model_id:
        raise EmbeddingMismatchError(
            f"{where} was built with embedding model {recorded.get('model_id')!r}; this Kefu "
            f"embeds with {embedder.model_id!r}: rebuild the pack"
        )


def load_built(directory: Path, context: PluginContext, *, verify: bool = True) -> LoadedPack:
    """Verify (checksums), check (embedding model) and load the built pack in ``directory``.

    Blocking: it reads files and loads models, so call it from a worker thread in a server.
    Raises a :class:`~kefu.knowledge.errors.PackError` describing what is wrong.
    """
    manifest = verify_directory(directory) if verify else {}
    pack = load_pack(directory / PACK_DIR, check_plugins=False)
    if verify:
        built = manifest.get("pack", {})
        if built.get("name") != pack.name or built.get("version") != pack.version:
            raise PackError(
                f"{directory}: the manifest ({built.get('name')} {built.get('version')}) does not "
                f"match pack.toml ({pack.name} {pack.version})"
            )
    try:
        plugins = build_plugins(pack, context)
    except PluginError as exc:
        raise PackError(f"pack {pack.name} {pack.version} cannot be served here: {exc}") from exc
    if uses_embeddings(plugins):
        if manifest.get("embedding") is None and verify:
            raise EmbeddingMismatchError(
                f"{directory}: its plugins read embeddings but the manifest records no "
                "embedding model: rebuild the pack"
            )
        check_embedding(manifest, context.embedder(), str(directory))
    try:
        plugins.recognizer.load(directory / INTENT_DIR)
        plugins.retriever.load(directory / RETRIEVER_DIR)
    except Exception as exc:
        raise PackError(
            f"{directory}: the trained artefacts of {pack.name} {pack.version} do not load: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return LoadedPack(manifest, pack, plugins, directory)


def warm_up(loaded: LoadedPack, context: PluginContext) -> None:
    """Answer one query end to end, so lazy initialisation happens now and not in a visitor's turn.

    Tokenizer dictionaries, thread pools and model weights load on first use; a pack that
    cannot answer at all fails here, before it is installed or swapped in.
    """
    plugins = loaded.plugins
    probe = [loaded.pack.evaluation[0].query if loaded.pack.evaluation else "hello"]
    embeddings = context.embedder().encode(probe) if uses_embeddings(plugins) else None
    try:
        plugins.recognizer.predict(probe, embeddings=embeddings)
        plugins.retriever.search(probe, 1, None, embeddings=embeddings)
    except Exception as exc:
        raise PackError(
            f"{loaded.directory}: pack {loaded.name} {loaded.version} fails on a first query: "
            f"{type(exc).__name__}: {exc}"
        ) from exc

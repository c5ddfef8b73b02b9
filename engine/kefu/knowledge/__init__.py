"""Knowledge packs: the format's typed model, validation, build, install, evaluation, runtime.

See docs/knowledge-packs.md for the format and the ``kefu pack`` commands.
"""

from kefu.knowledge.build import BuildResult, build_pack
from kefu.knowledge.errors import (
    ArchiveError,
    EmbeddingMismatchError,
    InstallError,
    PackError,
    PackInvalidError,
    PackNotFoundError,
    Problem,
)
from kefu.knowledge.evaluation import EvalReport, evaluate
from kefu.knowledge.install import install
from kefu.knowledge.installed import LoadedPack, load_built
from kefu.knowledge.loader import check_pack, load_pack
from kefu.knowledge.model import Course, Document, EvalCase, Faq, Pack, Product
from kefu.knowledge.runtime import PackRuntime, RuntimeStatus
from kefu.knowledge.store import InstalledVersion, PackStore

__all__ = [
    "ArchiveError",
    "BuildResult",
    "Course",
    "Document",
    "EmbeddingMismatchError",
    "EvalCase",
    "EvalReport",
    "Faq",
    "InstallError",
    "InstalledVersion",
    "LoadedPack",
    "Pack",
    "PackError",
    "PackInvalidError",
    "PackNotFoundError",
    "PackRuntime",
    "PackStore",
    "Problem",
    "Product",
    "RuntimeStatus",
    "build_pack",
    "check_pack",
    "evaluate",
    "install",
    "load_built",
    "load_pack",
]

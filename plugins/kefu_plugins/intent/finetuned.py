"""The ``finetuned`` intent recognizer: all-MiniLM-L6-v2 fine-tuned end to end on the CPU."""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm
from transformers import AutoModel, AutoTokenizer

from kefu.contracts import Embeddings, IntentExample, IntentPrediction, PluginContext
from kefu.embedding.embedder import default_model_path
from kefu_plugins.intent._common import (
    NotFittedError,
    OutOfScope,
    check_examples,
    check_texts,
    encode_labels,
    read_meta,
    to_predictions,
    write_meta,
)

if TYPE_CHECKING:
    from kefu_plugins.intent._common import FloatArray

_ENCODER_DIR = "encoder"
_HEAD_FILE = "head.safetensors"


class FineTunedIntentRecognizer:
    """Fine-tunes MiniLM with a cosine classification head; the most accurate single model.

    The recognizer loads its own copy of all-MiniLM-L6-v2 (the shared embedder is never
    modified), mean-pools the encoder's token states and scores each intent by the cosine
    similarity between the pooled text and a learned intent prototype, times ``scale``.
    Prototypes start as the mean pooled embedding of each intent's examples, so the model is a
    sensible nearest-centroid classifier before the first step and fine-tuning refines it
    (this also makes very small training sets work). Training uses AdamW with warm-up and
    linear decay, length-bucketed batches (less padding, faster on a CPU) and a fixed seed.

    Out of scope, any rule that is set refuses a text:
        threshold: best probability below it.
        margin: best and second-best probabilities closer than it.
        min_similarity: cosine similarity between the text and its predicted intent's
            prototype below it.

    Options:
        epochs, batch_size, learning_rate (encoder), head_learning_rate, max_length (tokens),
        scale (softmax temperature of the cosine scores), seed, progress (tqdm bar while
        training), threads (torch CPU threads while training/predicting; default: torch's),
        model_path (another local sentence-transformers model directory), freeze_embeddings
        (keep the token-embedding table fixed: faster, same accuracy on short texts), top_k.

    Saved models are a Hugging Face encoder directory plus a safetensors head: no pickles.
    """

    uses_embeddings = False
    kind = "finetuned"

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        epochs: int = 3,
        batch_size: int = 32,
        learning_rate: float = 1e-4,
        head_learning_rate: float = 2e-3,
        max_length: int = 64,
        scale: float = 20.0,
        threshold: float | None = None,
        margin: float | None = None,
        min_similarity: float | None = None,
        seed: int = 0,
        progress: bool = True,
        threads: int | None = None,
        model_path: str | Path | None = None,
        freeze_embeddings: bool = True,
        top_k: int = 5,
    ) -> None:
        for name, value in (("epochs", epochs), ("batch_size", batch_size), ("top_k", top_k)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if max_length < 8:
            raise ValueError(f"max_length must be at least 8 tokens, got {max_length}")
        for name, rate in (
            ("learning_rate", learning_rate),
            ("head_learning_rate", head_learning_rate),
            ("scale", scale),
        ):
            if rate <= 0:
                raise ValueError(f"{name} must be positive, got {rate}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self._epochs = epochs
        self._batch_size = batch_size
        self._lr = learning_rate
        self._head_lr = head_learning_rate
        self._max_length = max_length
        self._scale = scale
        self.out_of_scope = OutOfScope(
            threshold=threshold, margin=margin, min_similarity=min_similarity
        )
        self._seed = seed
        self._progress = progress
        self._threads = threads
        self._model_path = Path(model_path) if model_path is not None else None
        self._freeze_embeddings = freeze_embeddings
        self._top_k = top_k
        self._model: _CosineClassifier | None = None
        self._tokenizer: Any = None
        self._labels: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """The intents learned by ``fit`` or restored by ``load``."""
        return self._labels

    def fit(self, examples: Sequence[IntentExample]) -> None:
        """Fine-tune the encoder and the prototypes on labelled examples (blocking, minutes)."""
        texts, labels = check_examples(examples)
        names, targets = encode_labels(labels)
        with _torch_threads(self._threads):
            torch.manual_seed(self._seed)
            tokenizer, encoder = _load_encoder(self._model_path or default_model_path())
            model = _CosineClassifier(encoder, len(names), self._scale)
            self._tokenizer = tokenizer
            pooled = self._pool(model, texts)
            model.init_prototypes(torch.from_numpy(pooled), torch.from_numpy(targets))
            self._train(model, texts, torch.from_numpy(targets))
        self._model = model
        self._labels = names

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Probabilities of each intent (columns in :attr:`labels` order) for each text."""
        probabilities, _ = self._scores(check_texts(texts))
        return probabilities

    def predict(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> list[IntentPrediction]:
        """Classify a batch; ``embeddings`` is ignored (this model has its own encoder)."""
        probabilities, similarity = self._scores(check_texts(texts))
        return to_predictions(
            probabilities, self._labels, self.out_of_scope, similarity=similarity, top_k=self._top_k
        )

    def save(self, directory: Path) -> None:
        """Write the fine-tuned encoder, tokenizer, prototypes and labels into ``directory``."""
        if self._model is None:
            raise NotFittedError(self.kind)
        directory = Path(directory)
        write_meta(
            directory,
            self.kind,
            labels=list(self._labels),
            scale=self._model.scale,
            max_length=self._max_length,
        )
        self._model.encoder.save_pretrained(directory / _ENCODER_DIR)
        self._tokenizer.save_pretrained(directory / _ENCODER_DIR)
        save_file(
            {"prototypes": self._model.prototypes.detach().contiguous()}, directory / _HEAD_FILE
        )

    def load(self, directory: Path) -> None:
        """Restore a model written by :meth:`save`."""
        directory = Path(directory)
        meta = read_meta(directory, self.kind)
        tokenizer, encoder = _load_encoder(directory / _ENCODER_DIR)
        prototypes = load_file(directory / _HEAD_FILE)["prototypes"]
        labels = tuple(meta["labels"])
        if prototypes.shape[0] != len(labels):
            raise ValueError(
                f"{directory} is inconsistent: {prototypes.shape[0]} prototypes for "
                f"{len(labels)} labels"
            )
        model = _CosineClassifier(encoder, len(labels), float(meta["scale"]))
        model.prototypes.data.copy_(prototypes)
        model.eval()
        self._model, self._tokenizer, self._labels = model, tokenizer, labels
        self._max_length = int(meta["max_length"])

    # ----------------------------------------------------------------------------------------

    def _scores(self, texts: list[str]) -> tuple[FloatArray, FloatArray]:
        if self._model is None:
            raise NotFittedError(self.kind)
        if not texts:
            return (
                np.zeros((0, len(self._labels)), dtype=np.float32),
                np.zeros(0, dtype=np.float32),
            )
        with _torch_threads(self._threads):
            pooled = torch.from_numpy(self._pool(self._model, texts))
            with torch.inference_mode():
                cosine = self._model.cosine(pooled)
                probabilities = torch.softmax(cosine * self._model.scale, dim=-1)
        best = probabilities.argmax(dim=-1, keepdim=True)
        similarity = cosine.gather(1, best).squeeze(1)
        return probabilities.numpy().astype(np.float32), similarity.numpy().astype(np.float32)

    def _pool(self, model: _CosineClassifier, texts: list[str]) -> FloatArray:
        """Mean-pooled encoder states of ``texts`` (inference mode, length-sorted batches)."""
        model.eval()
        order = np.argsort([len(text) for text in texts], kind="stable")
        out = np.zeros((len(texts), model.dimension), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), 128):
                rows = order[start : start + 128]
                batch = self._tokenize([texts[i] for i in rows])
                out[rows] = model.pool(batch).numpy()
        return out

    def _tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        encoded = self._tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self._max_length,
            return_tensors="pt",
        )
        return dict(encoded)

    def _train(self, model: _CosineClassifier, texts: list[str], targets: torch.Tensor) -> None:
        rng = random.Random(self._seed)
        steps_per_epoch = math.ceil(len(texts) / self._batch_size)
        total = self._epochs * steps_per_epoch
        warmup = max(1, int(0.06 * total))
        if self._freeze_embeddings:
            # The token-embedding table is half of MiniLM's weights; updating it costs CPU time
            # and gains nothing on a few thousand short texts.
            model.encoder.get_input_embeddings().weight.requires_grad_(False)
        optimizer = torch.optim.AdamW(
            [
                {
                    "params": [p for p in model.encoder.parameters() if p.requires_grad],
                    "lr": self._lr,
                },
                {"params": [model.prototypes], "lr": self._head_lr},
            ],
            weight_decay=0.01,
        )
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup + 1))),
        )
        bar = tqdm(total=total, desc="fine-tuning MiniLM", unit="step", disable=not self._progress)
        model.train()
        try:
            for _ in range(self._epochs):
                for rows in _length_buckets(texts, self._batch_size, rng):
                    batch = self._tokenize([texts[i] for i in rows])
                    logits = model(batch)
                    loss = torch.nn.functional.cross_entropy(logits, targets[rows])
                    loss.backward()  # type: ignore[no-untyped-call]
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                    optimizer.step()
                    schedule.step()
                    optimizer.zero_grad(set_to_none=True)
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        finally:
            bar.close()
            model.eval()


def _length_buckets(texts: list[str], batch_size: int, rng: random.Random) -> Iterator[list[int]]:
    """Shuffled batches of similar-length texts: less padding, same randomness across runs."""
    order = list(range(len(texts)))
    rng.shuffle(order)
    window = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(texts[i]))
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    yield from batches


def _load_encoder(path: Path) -> tuple[Any, Any]:
    if not Path(path).is_dir():
        raise FileNotFoundError(f"no encoder model directory at {path}")
    return AutoTokenizer.from_pretrained(str(path)), AutoModel.from_pretrained(str(path))


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Temporarily set torch's CPU thread count (no-op when ``threads`` is None)."""
    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class _CosineClassifier(torch.nn.Module):
    """Mean-pooled encoder + cosine similarity to one learned prototype per intent."""

    def __init__(self, encoder: Any, n_labels: int, scale: float) -> None:
        super().__init__()
        self.encoder = encoder
        self.dimension = int(encoder.config.hidden_size)
        self.scale = float(scale)
        self.prototypes = torch.nn.Parameter(torch.zeros(n_labels, self.dimension))

    def pool(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean of the token states over the attention mask."""
        states: torch.Tensor = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
        pooled: torch.Tensor = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return pooled

    def cosine(self, pooled: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of each pooled row with each prototype."""
        return (
            torch.nn.functional.normalize(pooled, dim=-1)
            @ torch.nn.functional.normalize(self.prototypes, dim=-1).T
        )

    def init_prototypes(self, pooled: torch.Tensor, targets: torch.Tensor) -> None:
        """Start each prototype at the mean unit embedding of its intent's examples."""
        unit = torch.nn.functional.normalize(pooled, dim=-1)
        sums = torch.zeros_like(self.prototypes.data).index_add_(0, targets, unit)
        self.prototypes.data.copy_(torch.nn.functional.normalize(sums, dim=-1))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Scaled cosine logits for a tokenized batch."""
        return self.cosine(self.pool(batch)) * self.scale

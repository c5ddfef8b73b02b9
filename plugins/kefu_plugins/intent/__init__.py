"""Kefu's built-in intent recognizers, registered in the ``kefu.intent`` namespace.

=============  =====================================================  ============================
name           model                                                  use it when
=============  =====================================================  ============================
``tfidf``      word + character n-gram TF-IDF, linear classifier      no neural model; Chinese
``embedding``  head over the shared MiniLM sentence embeddings        fast, shares the embedding
``finetuned``  MiniLM fine-tuned end to end, cosine prototypes        best single model
``ensemble``   average of the above (configurable)                    best accuracy
=============  =====================================================  ============================

Every recognizer is built as ``cls(context, **options)``, predicts in batches and can refuse
texts as out of scope (``threshold`` / ``margin``, plus ``min_similarity`` where embeddings are
seen). Modules are imported lazily by the registry, so using ``tfidf`` does not import torch.
"""

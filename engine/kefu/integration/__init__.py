"""Business-system integration: webhooks in, incremental pulls, customer context, actions, hints.

* :mod:`~kefu.integration.webhooks` / :mod:`~kefu.integration.http` — signed CloudEvents
  webhooks, acknowledged once durably stored (:mod:`~kefu.integration.inbox`) and relayed to
  the bus through the outbox (:mod:`~kefu.integration.outbox`).
* :mod:`~kefu.integration.puller` — a legacy table read by cursor ``(updated_at, id)``.
* :mod:`~kefu.integration.context` — customer context from every source in parallel, cached.
* :mod:`~kefu.integration.actions` — refunds, coupons and order flags through permission
  checks, idempotency keys, a deadline, a token bucket and a circuit breaker, with audit.
* :mod:`~kefu.integration.hints` / :mod:`~kefu.integration.forward` — "new order pending",
  "parcel delayed" for the agents' screens.
* :mod:`~kefu.integration.service` — wires all of it for ``create_app``.

Importing this package registers its tables on the store's metadata
(:mod:`~kefu.integration.tables`, migration ``0100_integration``).
"""

from kefu.integration import tables

__all__ = ["tables"]

"""The chat gateway: thin WebSocket and HTTP controllers over the conversation domain.

``/ws/visitor`` and ``/ws/agent`` speak the versioned JSON frames of docs/protocol.md
(:mod:`kefu.gateway.frames`); ``/api/...`` serves login, conversations and history; fan-out
across processes goes through Litestar channels (:mod:`kefu.gateway.fanout`), one
subscription per process that :mod:`kefu.gateway.dispatch` routes to the local sockets.
"""

"""Helpers shared by Kefu's tests: a tiny filter, a server launcher, a WebSocket client."""

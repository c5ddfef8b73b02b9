"""Built-in message filters (``kefu.filter`` entry points)."""

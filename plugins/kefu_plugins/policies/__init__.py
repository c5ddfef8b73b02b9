"""Built-in reply policies (``kefu.policy``)."""

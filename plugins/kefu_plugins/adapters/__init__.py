"""Business-system adapters (``kefu.adapter``): a mapping-driven REST adapter and a SQL adapter."""

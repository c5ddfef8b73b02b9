"""Security: authentication, API keys, rate limits, masking and the audit trail."""

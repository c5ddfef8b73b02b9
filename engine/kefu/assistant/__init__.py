"""The dialog manager: runs one visitor turn through intent, retrieval, context and policy."""

"""Sample third-party Kefu plugins: a keyword intent recognizer and a polite reply policy."""

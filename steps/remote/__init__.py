"""What every remote backend shares: bounded retries, create-once, error translation, redaction, waits."""

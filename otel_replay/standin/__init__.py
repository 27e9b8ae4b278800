"""A recorded-model stand-in: serves recorded LLM answers over the providers\x27 HTTP APIs."""

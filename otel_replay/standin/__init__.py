"""A recorded-model stand-in: serves recorded LLM answers over the providers' HTTP APIs."""

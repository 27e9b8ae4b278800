"""A support agent on the real `openai` client, recorded and replayed with otel-replay."""

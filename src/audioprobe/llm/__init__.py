"""Language models: one OpenAI-compatible path for every endpoint, plus recorded-answer replay."""

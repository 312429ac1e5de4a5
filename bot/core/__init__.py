"""Core: settings, errors, pipeline data types (schema) and every user-facing sentence (prompts)."""

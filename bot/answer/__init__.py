"""Answer: route questions to table tools, answer offline from passages, or run the LLM tool loop."""

"""App: the command line, the Gradio page, feedback store and benchmarks (the only layer that talks to people)
."""

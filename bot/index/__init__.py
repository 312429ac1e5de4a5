"""Index: read the corpus, clean and chunk it (ingest), embed, store in Chroma + BM25, retrieve."""

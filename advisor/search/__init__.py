"""The search layer: chunking, embeddings, the Chroma index, BM25, hybrid retrieval and the user's own
documents. Builds on the knowledge layer; imports nothing from chat or interfaces."""

"""Gold selection, Hugging Face views and splits, the dataset card, DocBin and CoNLL writers."""

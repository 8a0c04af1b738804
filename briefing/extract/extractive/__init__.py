"""The extractive backend: fills the extraction schema offline, from the article's own sentences."""

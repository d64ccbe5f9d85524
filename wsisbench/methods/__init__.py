"""Method pipelines of the seed papers (one subpackage per method); importing registers them."""

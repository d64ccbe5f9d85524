"""Small helpers shared across wsisbench (atomic file writing, hashing)."""

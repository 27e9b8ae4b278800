"""The lowest layer: records, errors, run models and value conversions every package may import."""

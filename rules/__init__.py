"""Rule files (YAML) of the engine; shipped as package data `extractor.rules`."""

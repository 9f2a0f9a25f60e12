"""Pandera models of every table the engine writes; importable as `extractor.schemas`."""

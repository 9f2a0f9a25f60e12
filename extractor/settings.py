"""Every default of the engine, in one place. Values are validated when a Settings is built."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Settings:
    """Run-time settings; construct with keyword arguments, bad values raise ``ValueError``."""

    #: largest transcript accepted, in bytes (``--max-bytes``)
    max_doc_bytes: int = 20 * 1024 * 1024
    #: time budget of one document, in seconds (``--doc-timeout``); 0 disables it
    doc_timeout: float = 60.0
    #: timeout of one regex search, in seconds (the ``regex`` package's ``timeout=``)
    regex_timeout: float = 5.0
    #: encoding tried when a file is not valid UTF-8; None makes that an error
    fallback_encoding: str | None = None
    #: worker processes of a batch; 0 means one per core
    workers: int = 0
    #: CSV output for spreadsheets: text cells starting with = + - @ get a leading quote
    #: (``--excel-safe``; see extractor.csvsafe). Off by default: pandas users get exact text
    excel_safe: bool = False
    #: extra options, reserved
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_doc_bytes <= 0:
            raise ValueError("max_doc_bytes must be positive")
        if self.doc_timeout < 0:
            raise ValueError("doc_timeout must be >= 0")
        if self.regex_timeout <= 0:
            raise ValueError("regex_timeout must be positive")
        if self.workers < 0:
            raise ValueError("workers must be >= 0")
        if self.fallback_encoding is not None:
            import codecs

            codecs.lookup(self.fallback_encoding)  # raises LookupError for an unknown name

    def effective_workers(self) -> int:
        """``workers``, or (0) the cores this process may use: the fewest of the machine's,
        its CPU affinity (``taskset``) and a container's CPU quota (cgroup v1 or v2), as
        ``dask.system.cpu_count`` reads them. ``os.cpu_count()`` would be the host's cores: 64
        worker processes in a container limited to 2 CPUs."""
        if self.workers:
            return self.workers
        from dask.system import cpu_count

        return max(1, cpu_count())


DEFAULT = Settings()

__all__ = ["DEFAULT", "Settings", "fields"]

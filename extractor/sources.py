"""Where transcripts come from: local files and folders, or fsspec URLs (``s3://``, ``gs://``,
``memory://`` ...).

Local paths need nothing beyond the standard library; a URL needs ``fsspec`` (the optional extra
``dask``) and the filesystem package of its protocol (``s3fs`` for ``s3://``). Reading a URL
raises the same one-line :class:`~extractor.errors.InputFileError` as reading a local file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from .errors import FiguresError, InputFileError, first_line
from .settings import DEFAULT, Settings

SUFFIX = ".txt"


def is_url(path: str | os.PathLike) -> bool:
    """True for ``protocol://...`` (``file://`` included), False for a plain local path."""
    return "://" in os.fspath(path)


def doc_id_of(path: str) -> str:
    """The document id of a path or URL: its file name without ``.txt``."""
    name = PurePosixPath(path.rstrip("/")).name if is_url(path) else Path(path).name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else Path(name).stem


def _fsspec():
    try:
        import fsspec
    except ImportError:
        raise FiguresError("reading URLs needs fsspec: pip install 'figures-extractor[dask]'"
                           ) from None
    return fsspec


def _url_fs(url: str):
    try:
        fs, root = _fsspec().core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # unknown protocol, or its package is missing
        raise FiguresError(f"{url}: cannot open ({first_line(exc)})") from None
    return fs, root


def expand_inputs(paths: Iterable[str | os.PathLike]) -> list[tuple[str, str]]:
    """Files and folders (recursively ``*.txt``) -> (path, doc_id) pairs sorted by doc_id, each
    path once (a batch uses :class:`~extractor.listing.Listing`: the same, in bounded memory).

    A path that does not exist is kept, so that it becomes an error row."""
    return [(path, doc_id) for doc_id, path in
            sorted({(doc_id, path) for path, doc_id in walk_inputs(paths)})]


def walk_inputs(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[str, str]]:
    """(path, doc_id) of every input, unsorted, as a stream: a file as given, a folder's
    ``*.txt`` files at any depth (links to folders not followed, as ``Path.rglob``; a folder
    that cannot be listed is an entry, which fails when read), the files under a URL. A path
    that does not exist is kept, so that it becomes an error row. So is a folder given with no
    ``*.txt`` file in it (a wrong folder, or transcripts of another extension): it fails when
    read, instead of a batch of nothing that succeeds."""
    for raw in paths:
        if is_url(raw):
            urls = _expand_url(os.fspath(raw))
            for url in urls:
                yield url, doc_id_of(url)
            if not urls:
                yield folder_entry(os.fspath(raw))
            continue
        p = Path(raw)
        if p.is_dir():
            found = False
            for entry in _files(str(p)):
                found = True
                yield entry
            if not found:
                yield folder_entry(str(p))
        else:
            yield str(p), p.stem


def _files(folder: str) -> Iterator[tuple[str, str]]:
    """The ``*.txt`` files under ``folder`` (a path as ``str(Path(...))`` writes it), their
    paths written as pathlib writes them (``x.txt`` under ``.``, not ``./x.txt``).

    A folder that cannot be listed (permission denied) is an entry of its own, so that the
    batch reports it as an input that failed instead of passing over its transcripts in
    silence: its doc_id is its path and a ``/``, which no file's doc_id can be."""
    stack = [folder]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as entries:
                for e in entries:
                    path = e.name if d == "." else e.path
                    if e.is_dir(follow_symlinks=False):
                        stack.append(path)
                    elif e.name.endswith(SUFFIX) and e.is_file():
                        yield path, Path(e.name).stem
        except OSError:
            yield folder_entry(d)


def folder_entry(folder: str) -> tuple[str, str]:
    """The (path, doc_id) of a folder that fails when read (it cannot be listed, or holds no
    transcript): its doc_id is its path and a ``/``, which no file's doc_id can be."""
    return folder, folder.rstrip("/") + "/"


def too_large(path: str, settings: Settings, size: int | None = None) -> InputFileError:
    """The error of a transcript over ``settings.max_doc_bytes``: of a known ``size``, or
    found over the limit while reading."""
    limit = settings.max_doc_bytes
    problem = f"file too large ({size} bytes > the limit of {limit}; see --max-bytes)" \
        if size is not None else \
        f"file too large (more than the limit of {limit} bytes; see --max-bytes)"
    return InputFileError(path, problem, "too_large")


def folder_problem(has_transcripts: bool) -> str:
    """Why a folder read as a transcript fails (a folder given as an input is searched for
    ``*.txt`` files: one reaches a reader only when it holds none)."""
    return "is a directory, not a transcript file" if has_transcripts else \
        f"is a folder with no *{SUFFIX} transcript in it"


def _expand_url(url: str) -> list[str]:
    fs, root = _url_fs(url)
    try:
        if fs.isdir(root):
            # fsspec lists paths without their protocol: put it back for the workers
            return sorted(fs.unstrip_protocol(f) for f in fs.find(root) if f.endswith(SUFFIX))
    except OSError as exc:
        raise FiguresError(f"{url}: cannot list ({exc})") from None
    return [url]


def read_url(url: str, settings: Settings = DEFAULT) -> bytes:
    """The bytes of a transcript at an fsspec URL, with the checks of a local read."""
    fs, root = _url_fs(url)
    try:
        info = fs.info(root)
        if info.get("type") == "directory":
            raise InputFileError(url, folder_problem(any(f.endswith(SUFFIX)
                                                         for f in fs.find(root))),
                                 "unreadable")
        size = info.get("size")
        if size is not None and size > settings.max_doc_bytes:
            raise too_large(url, settings, size)
        with fs.open(root, "rb") as fh:
            data = fh.read(settings.max_doc_bytes + 1)
        if len(data) > settings.max_doc_bytes:  # a size the filesystem did not know
            raise too_large(url, settings)
        return data
    except FileNotFoundError:
        raise InputFileError(url, "no such file", "missing") from None
    except PermissionError:
        raise InputFileError(url, "permission denied", "unreadable") from None
    except OSError as exc:
        raise InputFileError(url, f"cannot read ({exc})", "unreadable") from None

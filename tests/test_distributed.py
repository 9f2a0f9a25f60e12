"""The same batch on a real Dask cluster (2 worker processes) gives the local run's bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EXAMPLES, copied_examples
from extractor.batch import run_batch
from extractor.errors import FiguresError

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as c:
        yield c


def _corpus(tmp: Path) -> Path:
    return copied_examples(tmp, 2, "ex05_zz_binary")


def test_dask_output_equals_the_local_run(tmp_path: Path, cluster) -> None:
    src = _corpus(tmp_path)
    local, dask = tmp_path / "local", tmp_path / "dask"
    a = run_batch([src], str(local / "facts.csv"), str(local / "findings.csv"), workers=2,
                  progress=False)
    b = run_batch([src], str(dask / "facts.csv"), str(dask / "findings.csv"), progress=False,
                  scheduler=cluster.scheduler_address, chunk=3)
    assert a.counts() == b.counts() and (b.documents, b.failed) == (17, 1)
    assert b.errors == [f"{src / 'ex05_zz_binary.txt'}: binary file (contains NUL bytes), "
                        "not a text transcript"]
    for name in ("facts.csv", "findings.csv", "facts.csv.manifest.csv"):
        assert (local / name).read_bytes() == (dask / name).read_bytes(), name


def test_dask_parquet_and_file_urls(tmp_path: Path, cluster) -> None:
    pytest.importorskip("fsspec")
    local, dask = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    run_batch([EXAMPLES], str(local), workers=1, progress=False)
    run_batch([EXAMPLES.as_uri() + "/"], str(dask), progress=False,
              scheduler=cluster.scheduler_address, chunk=2)
    assert local.read_bytes() == dask.read_bytes()


def test_check_on_the_cluster_writes_the_local_reports(tmp_path: Path, cluster) -> None:
    from extractor.checkrun import run_check

    src = _corpus(tmp_path)
    local, dask = tmp_path / "local", tmp_path / "dask"
    a = run_check([src], str(local), workers=1, progress=False)
    errors: list[str] = []
    b = run_check([src], str(dask), workers=2, progress=False, on_error=errors.append,
                  scheduler=cluster.scheduler_address)
    assert errors == [f"{src / 'ex05_zz_binary.txt'}: binary file (contains NUL bytes), "
                      "not a text transcript"]
    assert (b.documents, b.processed, b.failed) == (17, 16, 1)
    assert b.findings == a.findings and b.findings["error"] > 0
    files = sorted(p.name for p in dask.iterdir())
    assert len(files) == 16 * 3 + 3 and "ex04_veloran_q2_1.html" in files
    assert files == sorted(p.name for p in local.iterdir())
    for name in files:
        assert (dask / name).read_bytes() == (local / name).read_bytes(), name


def test_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), \
            pytest.raises(FiguresError) as info:
        run_batch([EXAMPLES], str(tmp_path / "f.csv"), progress=False,
                  scheduler="tcp://127.0.0.1:9")
    msg = str(info.value)
    assert msg.startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9 (") and \
        "\n" not in msg
    assert not (tmp_path / "f.csv").exists()

"""EPSS and KEV files as inputs, the local cache, and ``intel update`` over loopback HTTP."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import SourceError
from ecs_exposure.sources import intel as intel_source
from ecs_exposure.sources.files import load_paths
from ecs_exposure.sources.intel import FILE_NAMES, default_intel_dir, load_intel_dir
from ecs_exposure.sources.jsonfile import InputError
from support.builders import container, service, task_definition
from support.vuln_fixtures import epss_csv, kev, trivy, trivy_vuln

ROWS = [("CVE-2021-44228", 0.97559, 0.99995), ("CVE-2023-44487", 0.81686, 0.99103)]


def load(tmp_path: Path, files: dict[str, bytes]) -> tuple[Inventory, Any]:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    inventory = Inventory()
    return inventory, load_paths([tmp_path], inventory)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("date", ["2026-05-18T00:00:00Z", "2026-05-18T00:00:00+0000"])
def test_epss_csv_plain_or_gzip_with_its_comment_line(tmp_path: Path, gz: bool,
                                                      date: str) -> None:
    inventory, report = load(tmp_path, {"scores.data": epss_csv(ROWS, gz=gz, date=date)})
    assert report.errors == [] and len(report.read) == 1
    intel = inventory.vulnerabilities.intel
    assert intel.epss["CVE-2023-44487"] == (0.81686, 0.99103)
    [info] = intel.sources
    assert (info.kind, info.version, info.date, info.count) == ("epss", "v2023.03.01",
                                                                "2026-05-18", 2)


def test_epss_without_comment_and_concatenated_gzip_members(tmp_path: Path) -> None:
    plain = b"cve,epss,percentile\r\nCVE-2021-44228,0.9,0.99\r\n"
    doubled = gzip.compress(b"#model_version:v1\ncve,epss,percentile\n") + gzip.compress(
        b"CVE-2023-44487,0.5,0.9\n")
    inventory, report = load(tmp_path, {"a.csv": plain, "b.gz": doubled})
    assert report.errors == []
    assert set(inventory.vulnerabilities.intel.epss) == {"CVE-2021-44228", "CVE-2023-44487"}


@pytest.mark.parametrize("data,message", [
    (b"#model_version:v1\ncve,epss,percentile\nCVE-2021-44228,high,0.9\n", "line 3"),
    (b"cve,epss,percentile\nCVE-2021-44228,1.5,0.9\n", "score in 0..1"),
    (b"cve,epss,percentile\nnot-a-cve,0.1,0.9\n", "not a CVE id"),
    (gzip.compress(b"cve,epss,percentile\nCVE-2021-44228,0.1,0.2\n")[:-12], "truncated gzip"),
])
def test_malformed_epss_is_an_error_naming_the_problem(tmp_path: Path, data: bytes,
                                                       message: str) -> None:
    _, report = load(tmp_path, {"epss.csv": data})
    [error] = report.errors
    assert message in error.message and error.source.endswith("epss.csv")


def test_epss_with_bare_carriage_returns_is_read(tmp_path: Path) -> None:
    """Old Mac line ends (a bare CR) used to stop the csv module with an uncaught error."""
    data = b"\r#model_version:v1\rcve,epss,percentile\rCVE-2021-44228,0.9,0.99\r"
    inventory, report = load(tmp_path, {"epss.csv": data})
    assert report.errors == []
    assert inventory.vulnerabilities.intel.epss["CVE-2021-44228"] == (0.9, 0.99)


def test_a_csv_syntax_error_is_an_error_for_that_file(tmp_path: Path) -> None:
    data = b"cve,epss,percentile\nCVE-2021-44228,0.9,0.99\n\"" + b"x" * 200_000 + b"\"\n"
    _, report = load(tmp_path, {"epss.csv": data})
    [error] = report.errors
    assert error.source.endswith("epss.csv")
    assert error.message == "EPSS CSV: line 3: field larger than field limit (131072)"


def test_gzip_bomb_is_refused_not_expanded(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intel_source, "MAX_INFLATED_BYTES", 100_000)
    bomb = gzip.compress(b"cve,epss,percentile\n" + b"0" * 5_000_000)
    _, report = load(tmp_path, {"bomb.csv.gz": bomb})
    assert "inflates beyond 100,000 bytes" in report.errors[0].message


def test_other_text_and_gzip_files_are_not_claimed(tmp_path: Path) -> None:
    _, report = load(tmp_path, {"notes.txt": b"hello", "logs.gz": gzip.compress(b"x=1\n")})
    assert {e.message for e in report.skipped} == {"not a JSON document"}


def test_kev_catalog_fills_what_scanners_leave_out(tmp_path: Path) -> None:
    inventory, report = load(tmp_path, {"kev.json": json.dumps(kev("CVE-2023-44487")).encode(),
                                        "empty.json": json.dumps(kev()).encode()})
    assert report.errors == [] and len(report.read) == 2
    entry = inventory.vulnerabilities.intel.kev["CVE-2023-44487"]
    assert entry.date_added == "2023-09-13" and entry.ransomware is False


def _trivy_dir(root: Path) -> Path:
    inputs = root / "inputs"
    inputs.mkdir()
    td = task_definition(containers=[container("web", image="nginx:1.27")])
    (inputs / "td.json").write_text(json.dumps({"taskDefinition": td}))
    (inputs / "svc.json").write_text(json.dumps({"services": [service("web")]}))
    (inputs / "trivy.json").write_text(json.dumps(trivy("nginx:1.27", [
        trivy_vuln("CVE-2023-44487", "libnghttp2-14", "1.52.0-1", "1.52.0-1+deb12u1")])))
    return inputs


def _cache(root: Path, epss: bytes | None = None, catalog: Any = None) -> Path:
    cache = root / "cache"
    cache.mkdir(exist_ok=True)
    if epss is not None:
        (cache / FILE_NAMES["epss"]).write_bytes(epss)
    if catalog is not None:
        (cache / FILE_NAMES["kev"]).write_text(json.dumps(catalog))
    return cache


def test_cache_is_read_only_for_kinds_no_input_supplied(tmp_path: Path) -> None:
    cache = _cache(tmp_path, epss_csv([("CVE-2023-44487", 0.3, 0.9)], gz=True),
                   kev("CVE-2023-44487"))
    (cache / "broken.json").write_text('{"vulnerabilities": [{"cveID": 1}], "catalogVersion": "x"}')
    inventory = Inventory()
    inventory.vulnerabilities.intel.epss["CVE-2023-44487"] = (0.01, None)
    inventory.vulnerabilities.intel.sources.append(
        intel_source.IntelSource("epss", "input.csv", None, None, 1))
    errors: list[SourceError] = []
    read = load_intel_dir(inventory, cache, errors)
    assert [Path(p).name for p in read] == [FILE_NAMES["kev"]]
    assert inventory.vulnerabilities.intel.epss["CVE-2023-44487"] == (0.01, None)
    assert "CVE-2023-44487" in inventory.vulnerabilities.intel.kev
    assert errors and errors[0].message.startswith("intel cache: CISA KEV catalog")
    assert load_intel_dir(Inventory(), tmp_path / "missing", errors) == []


def test_scan_reads_the_default_cache_and_honours_intel_dir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _trivy_dir(tmp_path)
    runner = CliRunner()
    plain = json.loads(runner.invoke(main, ["scan", str(inputs), "--format", "json"]).stdout)
    assert plain["intel"] == [] and plain["findings"][0]["severity"] == "LOW"
    default = default_intel_dir()
    default.mkdir(parents=True)
    (default / FILE_NAMES["kev"]).write_text(json.dumps(kev("CVE-2023-44487")))
    cached = json.loads(runner.invoke(main, ["scan", str(inputs), "--format", "json"]).stdout)
    [finding] = cached["findings"]
    assert finding["likelihood"] == "moderate"                  # KEV, but no internet path
    assert any(t["id"] == "exploitable-vulnerability" for t in finding["traits"])
    assert cached["intel"][0]["kind"] == "kev"
    other = _cache(tmp_path)                                     # empty cache given explicitly
    explicit = json.loads(runner.invoke(main, ["scan", str(inputs), "--format", "json",
                                               "--intel-dir", str(other)]).stdout)
    assert explicit["intel"] == []
    monkeypatch.setenv("ECS_EXPOSURE_INTEL_DIR", str(other))
    assert json.loads(runner.invoke(main, ["scan", str(inputs), "--format", "json"])
                      .stdout)["intel"] == []


def test_epss_threshold_option(tmp_path: Path) -> None:
    inputs = _trivy_dir(tmp_path)
    (inputs / "epss.csv").write_bytes(epss_csv([("CVE-2023-44487", 0.05, 0.8)]))
    runner = CliRunner()

    def exploitable(*args: str) -> bool:
        result = runner.invoke(main, ["scan", str(inputs), "--format", "json", *args])
        assert result.exit_code == 0, result.output
        traits = json.loads(result.stdout)["findings"][0]["traits"]
        return any(t["id"] == "exploitable-vulnerability" for t in traits)

    assert not exploitable()
    assert exploitable("--epss-threshold", "0.05")
    assert runner.invoke(main, ["scan", str(inputs), "--epss-threshold", "2"]).exit_code == 2


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server standing in for the EPSS and KEV publishers."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_intel_update_downloads_validates_and_replaces_atomically(
        tmp_path: Path, feed_server: tuple[str, Path]) -> None:
    url, root = feed_server
    (root / "epss.csv.gz").write_bytes(epss_csv(ROWS, gz=True))
    (root / "kev.json").write_text(json.dumps(kev("CVE-2023-44487", "CVE-2021-44228")))
    (root / "page.html").write_text("<html>maintenance</html>")
    cache = tmp_path / "cache"
    runner = CliRunner()
    args = ["intel", "update", "--intel-dir", str(cache), "--timeout", "10"]
    ok = runner.invoke(main, [*args, "--epss-url", f"{url}/epss.csv.gz",
                              "--kev-url", f"{url}/kev.json"])
    assert ok.exit_code == 0, ok.output
    assert "epss: 2 entries, dated 2024-06-10" in ok.output and "kev: 2 entries" in ok.output
    assert (cache / FILE_NAMES["epss"]).read_bytes() == (root / "epss.csv.gz").read_bytes()
    status = runner.invoke(main, ["intel", "status", "--intel-dir", str(cache)])
    assert "kev: 2 entries, version 2024.06.10" in status.output
    bad = runner.invoke(main, [*args, "--epss-url", f"{url}/page.html",
                               "--kev-url", f"{url}/missing.json"])
    assert bad.exit_code == 1
    assert "epss: unusable download" in bad.output and "kev: download failed" in bad.output
    assert (cache / FILE_NAMES["epss"]).read_bytes() == (root / "epss.csv.gz").read_bytes()
    assert sorted(p.name for p in cache.iterdir()) == sorted(FILE_NAMES.values())


def test_intel_update_refuses_non_http_urls(tmp_path: Path) -> None:
    secret = tmp_path / "local.json"
    secret.write_text(json.dumps(kev("CVE-2023-44487")))
    result = CliRunner().invoke(main, ["intel", "update", "--intel-dir", str(tmp_path / "c"),
                                       "--epss-url", "ftp://127.0.0.1/x",
                                       "--kev-url", secret.as_uri()])
    assert result.exit_code == 1 and result.output.count("refusing non-HTTP URL") == 2


def test_parse_epss_rejects_files_without_a_header() -> None:
    with pytest.raises(InputError, match="no cve,epss,percentile header"):
        intel_source.parse_epss(b"#model_version:v1\n", "x.csv")

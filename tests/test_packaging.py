"""The knowledge travels with the package: fixtures/ and seeds/ go into the wheel and are read through the package."""

import fnmatch
import subprocess
import sys
import tomllib

from service.bundled import packaged_directory
from service.config import PROJECT_ROOT
from tests.helpers import FIXTURES_DIR, SEEDS_DIR

FOLDERS = {"fixtures": FIXTURES_DIR, "seeds": SEEDS_DIR}


def test_the_packaged_folders_are_the_checkouts_own():
    for name, folder in FOLDERS.items():
        packaged = packaged_directory(name)
        assert packaged.parent == PROJECT_ROOT / "service" / "bundled", packaged
        # In a checkout (an editable install), the very files being edited.
        assert packaged.resolve() == folder.resolve()
        assert sorted(p.name for p in packaged.iterdir()) == sorted(p.name for p in folder.iterdir())


def test_the_wheel_takes_every_file_of_fixtures_and_seeds():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    for name, folder in FOLDERS.items():
        patterns = package_data[f"service.bundled.{name}"]
        left_out = sorted(p.name for p in folder.iterdir() if not any(fnmatch.fnmatch(p.name, g) for g in patterns))
        assert left_out == [], f"{name}/{left_out} would not go into the wheel: add a pattern to package-data"


def test_the_metadata_is_ready_to_publish():
    """Every classifier is one PyPI knows, and the declared licence is the one LICENSE holds."""
    from trove_classifiers import classifiers

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["classifiers"] and set(project["classifiers"]) <= classifiers, (
        set(project["classifiers"]) - classifiers
    )
    assert project["license"] == "MIT"
    assert (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert set(project["license-files"]) == {"LICENSE", "NOTICE"}


def test_the_version_is_written_once_and_read_without_importing_the_service():
    """pyproject.toml has no version of its own: setuptools takes service.__version__, reading the literal from the
    source (a build environment has no Flask to import the package with)."""
    import service

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "service.__version__"}
    read = (
        "import sys\n"
        "sys.modules['flask'] = None  # importing the service would fail here\n"
        "from setuptools.config.expand import read_attr\n"
        "print(read_attr('service.__version__', root_dir=sys.argv[1]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", read, str(PROJECT_ROOT)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{service.__version__}\n"

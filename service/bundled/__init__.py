"""The curated knowledge shipped inside the package: fixtures/ and seeds/, opened through importlib.resources."""

from importlib.resources import files
from pathlib import Path


def packaged_directory(name: str) -> Path:
    """The folder `name` ("fixtures" or "seeds") as installed with the package.

    In a checkout the two folders here are symlinks to the top-level fixtures/ and seeds/, so an editable install
    reads the files being edited; a wheel holds copies of them (package-data in pyproject.toml). A wheel is always
    installed unpacked, so the folder is a directory on disk.
    """
    folder = files(__name__) / name
    if not isinstance(folder, Path):
        raise RuntimeError(f"the package's {name}/ is not a directory on disk: install the package unpacked")
    return folder

"""A clone with nothing beside it: no code, test or build file reaches outside the repository."""

import subprocess

from nexus_pipelines.settings import PROJECT_DIR

# spelt in parts so that this file does not match itself
OUTSIDE = ("../" + "shared", "shared/" + "reference-data", "shared/" + "design")
CODE = (".py", ".sql", ".yaml", ".toml", "Makefile", ".ci/run")


def test_nothing_in_the_repository_reads_the_shared_folder_beside_it() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    readers = [
        name
        for name in listed
        if name.endswith(CODE)
        and any(
            needle in (PROJECT_DIR / name).read_text(encoding="utf-8", errors="replace")
            for needle in OUTSIDE
        )
    ]
    assert listed and readers == []

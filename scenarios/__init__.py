"""Bundled scenarios, one per built-in policy profile."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT = "changchun-2020"
BUNDLED = ("changchun-2020", "ninhbinh-2021", "sichuan-training-2020")


def bundled_path(name: str = DEFAULT) -> Path:
    """Where a bundled scenario's YAML lies (installed or in a checkout)."""
    return Path(str(resources.files("scenarios").joinpath(f"{name}.yaml")))

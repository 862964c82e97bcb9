"""Hatch build hook: ship compiled ``.mo`` catalogs in every build."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogsHook(BuildHookInterface):
    def initialize(self, version, build_data):
        here = Path(self.root) / "locales" / "__init__.py"
        spec = importlib.util.spec_from_file_location("_xianfeng_locales", here)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.compile_catalogs(here.parent, force=True)

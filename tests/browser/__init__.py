"""Real-browser tests (a package, so that its conftest.py does not clash with tests/conftest.py
when pytest imports every module for --doctest-modules)."""

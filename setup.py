"""Which packages the wheel ships: found, not listed, so a new subpackage cannot be missed.

Everything else is in pyproject.toml. setuptools' automatic ``find`` there does not follow
``package-dir`` (pypa/setuptools#5145), so it would leave out ``content/``, which installs
as ``crampbot_content``; here both trees are found, folders without ``__init__.py`` too.
"""

from setuptools import find_namespace_packages, setup

CODE = find_namespace_packages(include=["bot", "bot.*", "dialogs", "dialogs.*"])
CONTENT = [
    "crampbot_content",
    *(f"crampbot_content.{name}" for name in find_namespace_packages("content")),
]
setup(packages=[name for name in CODE + CONTENT if "__pycache__" not in name])

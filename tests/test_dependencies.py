"""pyproject.toml (pip) and environment.yml (conda) declare the same packages with the same minimum
versions.

environment.yml lists conda packages under ``dependencies`` and the packages that are only on PyPI
under ``pip:`` (together with ``-e .``, the course package itself). The test dependencies of
``[project.optional-dependencies].test`` are part of the conda environment too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent

# conda-forge name -> PyPI name, where they differ (e.g. "matplotlib-base": "matplotlib")
CONDA_TO_PIP: dict[str, str] = {}
# conda entries that are not Python packages of the course
CONDA_TOOLS = {"python", "pip"}
PIP_EXTRAS_OF_THE_ENVIRONMENT = {"-e ."}  # installs the course package itself

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*$")


def normalize(name: str) -> str:
    """PEP 503 normalisation: case and the separators - _ . do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> tuple[str, str]:
    """"numpy>=1.26" -> ("numpy", "1.26"): the normalised name and the minimum version (">=" required)."""
    match = _REQUIREMENT.match(text)
    assert match, f"cannot parse the requirement {text!r}"
    name, spec = match.groups()
    minimum = re.fullmatch(r">=\s*([0-9][0-9A-Za-z.]*)", spec)
    assert minimum, f"{text!r} must declare its minimum version as name>=version"
    return normalize(name), minimum.group(1)


def parse_environment_yml(text: str) -> dict:
    """A small parser for the subset of YAML that environment.yml uses:
    ``key: value`` lines, the list ``dependencies`` and, inside it, the nested list ``pip:``."""
    result: dict = {}
    key = None
    in_pip = False
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        item = re.fullmatch(r"\s*-\s+(.*)", line)
        if indent == 0 and not item:
            name, _, value = line.partition(":")
            key = name.strip()
            result[key] = value.strip() or []
            in_pip = False
        elif item:
            value = item.group(1).strip()
            if value == "pip:":
                result[key].append({"pip": []})
                in_pip = True
            elif in_pip and indent > 2:
                result[key][-1]["pip"].append(value)
            else:
                in_pip = False
                result[key].append(value)
        else:
            raise AssertionError(f"unexpected line in environment.yml: {raw!r}")
    return result


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def environment() -> dict:
    return parse_environment_yml((REPO / "environment.yml").read_text(encoding="utf-8"))


def pip_minimums() -> dict[str, str]:
    project = pyproject()["project"]
    requirements = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    parsed = [parse_requirement(r) for r in requirements]
    names = [name for name, _ in parsed]
    assert len(names) == len(set(names)), f"a package is declared twice in pyproject.toml: {names}"
    return dict(parsed)


def conda_sections() -> tuple[list[str], list[str]]:
    """(conda entries, entries under pip:) of environment.yml."""
    conda: list[str] = []
    pip: list[str] = []
    for entry in environment()["dependencies"]:
        if isinstance(entry, dict):
            pip += entry["pip"]
        else:
            conda.append(entry)
    return conda, pip


def conda_minimums() -> dict[str, str]:
    conda, pip = conda_sections()
    parsed = []
    for entry in conda:
        name = normalize(re.split(r"[<>=!~ ]", entry, maxsplit=1)[0])
        if name in CONDA_TOOLS:
            continue
        name, minimum = parse_requirement(entry)
        parsed.append((normalize(CONDA_TO_PIP.get(name, name)), minimum))
    parsed += [parse_requirement(entry) for entry in pip if entry not in PIP_EXTRAS_OF_THE_ENVIRONMENT]
    names = [name for name, _ in parsed]
    assert len(names) == len(set(names)), f"a package is declared twice in environment.yml: {names}"
    return dict(parsed)


# ---------------------------------------------------------------- the parsers

def test_the_small_parser_reads_environment_yml_like_pyyaml():
    text = (REPO / "environment.yml").read_text(encoding="utf-8")
    parsed = parse_environment_yml(text)
    assert parsed["name"] and parsed["channels"] == ["conda-forge"]
    try:
        import yaml
    except ImportError:  # PyYAML is not a dependency of the course; the small parser is enough
        return
    assert parsed == yaml.safe_load(text)


@pytest.mark.parametrize("text, expected", [
    ("numpy>=1.26", ("numpy", "1.26")),
    ("scikit-learn >= 1.4", ("scikit-learn", "1.4")),
    ("Matplotlib_Fontja>=1.0", ("matplotlib-fontja", "1.0")),
    ("nbgrader[docs]>=0.9.6", ("nbgrader", "0.9.6")),
])
def test_parse_requirement(text, expected):
    assert parse_requirement(text) == expected


@pytest.mark.parametrize("text", ["numpy", "numpy==1.26", "numpy<2", "numpy>=1.26,<3"])
def test_every_requirement_needs_exactly_a_minimum(text):
    with pytest.raises(AssertionError):
        parse_requirement(text)


# ---------------------------------------------------------------- the two files agree

def test_pyproject_and_environment_yml_declare_the_same_packages_and_minimums():
    pip, conda = pip_minimums(), conda_minimums()
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml but not in pyproject.toml"
    different = {name: (pip[name], conda[name]) for name in pip if pip[name] != conda[name]}
    assert different == {}, "minimum versions differ (pyproject.toml, environment.yml)"


def test_test_dependencies_are_in_the_conda_environment():
    conda = conda_minimums()
    for requirement in pyproject()["project"]["optional-dependencies"]["test"]:
        name, minimum = parse_requirement(requirement)
        assert conda.get(name) == minimum, requirement


def test_python_version_and_the_course_package():
    requires_python = pyproject()["project"]["requires-python"]
    conda, pip = conda_sections()
    assert f"python{requires_python}" in conda
    assert "pip" in conda and "-e ." in pip


def test_libraries_used_by_the_notebooks_are_declared():
    # threadpoolctl: 1_8_batch limits the threads of the matrix products while timing them
    declared = pip_minimums()
    for name in ("numpy", "matplotlib", "matplotlib-fontja", "scikit-learn", "threadpoolctl", "nbgrader"):
        assert name in declared, name

# nbgrader configuration: the repository root is the nbgrader course directory.
# Everything is set in autograder/nbgrader_setup.py so the course's tools and the plain
# `nbgrader` command agree.
from autograder.nbgrader_setup import configure

configure(get_config())  # noqa: F821 - provided by nbgrader when it loads this file

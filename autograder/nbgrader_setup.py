"""The nbgrader configuration of the course, in one place.

``nbgrader_config.py`` at the repository root calls ``configure`` so the plain ``nbgrader``
command behaves like the course's own tools, which call it too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

from .nbgrader_bridge import FEEDBACK_TEMPLATE, FEEDBACK_TEMPLATE_DIR

SOLUTION_STUB = "# ここに解答を書いてください\nraise NotImplementedError()"
TEXT_STUB = "ここに解答を書いてください。"
ASSIGNMENTS = ("day1",)


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH: make the running environment's scripts visible."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


GRADEBOOK_FILE = "gradebook.db"
_pragmas_registered = False


def _gradebook_pragmas(dbapi_connection, _record) -> None:
    """Write-ahead log for the gradebook: a commit is one append instead of two or three
    ``fsync`` calls of a rollback journal (nbgrader commits once per graded cell, ~20 per
    notebook); the file stays consistent after a crash (WAL with ``synchronous=NORMAL``: at
    most the last commits before a power loss are lost, and a re-run records them again), and
    readers (the feedback workers) no longer block the one writer."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    try:
        files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list")]
        if any(f and os.path.basename(f) == GRADEBOOK_FILE for f in files):
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        pass  # a locked or read-only file keeps its mode; nbgrader works as before


def register_gradebook_pragmas() -> None:
    global _pragmas_registered
    if not _pragmas_registered:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _gradebook_pragmas)
        _pragmas_registered = True


def configure(c: Config, root: Path | None = None) -> Config:
    ensure_tools_on_path()
    register_gradebook_pragmas()
    root = Path(root) if root else repo_root()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = "genba-dl"
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.release_directory = "release"
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = f"sqlite:///{root / GRADEBOOK_FILE}"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    c.ClearSolutions.code_stub = {"python": SOLUTION_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    c.ClearSolutions.enforce_metadata = True
    # Grading: kernels never run inside nbgrader. The sandboxed executor (autograder.execute)
    # decides every verdict beforehand; ApplyVerdicts writes them into the notebook.
    c.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput",
        "nbgrader.preprocessors.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec",
        "nbgrader.preprocessors.OverwriteCells",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    c.Autograde.autograde_preprocessors = [
        "autograder.nbgrader_bridge.ApplyVerdicts",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    c.Autograde.create_student = True
    c.OverwriteCells.add_missing_cells = True
    # Feedback never shows hidden test code; it is the course's Japanese page, readable offline
    # (autograder/feedback_template, docs/grading.md "Feedback").
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.ClearHiddenTests",
        "nbgrader.preprocessors.GetGrades",
        "autograder.nbgrader_bridge.FeedbackPage",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    c.GenerateFeedback.exporter_class = "autograder.nbgrader_bridge.FeedbackExporter"
    c.HTMLExporter.template_name = FEEDBACK_TEMPLATE
    c.HTMLExporter.extra_template_basedirs = [str(FEEDBACK_TEMPLATE_DIR)]
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {"clean_html": "autograder.nbgrader_bridge.clean_html"}
    c.ClearHiddenTests.enforce_metadata = False
    return c

"""Helper package of 現場で使えるディープラーニング基礎講座.

Students import it from every notebook: data loading (`course.datasets`), plotting with
Japanese labels (`course.plotting`) and the visible self-checks (`course.selfcheck`).
It never contains the solution of an exercise that is being graded.
"""

__version__ = "0.1.0"

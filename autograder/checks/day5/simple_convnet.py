"""Hidden checks of 5_4_simple_convnet."""

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new, put  # noqa: F401

NOTEBOOK = "5_4_simple_convnet"

CHECKS = {}  # test cell grade_id -> [FunctionCheck | ClassCheck]; `course-new exercise` adds entries

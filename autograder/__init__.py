"""The grader: hidden checks, the sandboxed grading pipeline, feedback and the release build.

Never released to students and never importable from a submission's kernel (the sandbox
hides this directory; see docs/grading.md).
"""

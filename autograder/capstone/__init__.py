"""The katakana capstone scorer: hidden test set, safe unpacking, sandboxed prediction, report.

``katakana_test.npz`` (labels included) lives here and never enters a student's kernel.
"""

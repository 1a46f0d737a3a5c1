"""The capstone submission service: accounts, a daily quota, a scoring queue, e-mail and a leaderboard.

Web pages and the JSON API (``web``), the database (``models``, ``db``, migrations under
``migrations/``), the job queue and the worker that calls the offline scorer (``jobs``,
``worker``), mail (``mail``) and pictures (``pictures``). See docs/service.md.
"""

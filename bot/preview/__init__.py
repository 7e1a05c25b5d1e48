"""Feature: the one preview comment on a notes pull request (``comment`` renders it, pure;
``keep`` reads, posts and edits it; ``router`` handles ``pull_request`` events)."""

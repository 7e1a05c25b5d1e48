"""The ``meeting-todo-bot`` check run: what the bot says on a commit (report) and how it is
written once (publish)."""

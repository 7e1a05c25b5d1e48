"""meeting-todo-bot: turns action items in meeting notes into GitHub issues."""

__version__ = "0.1.0"

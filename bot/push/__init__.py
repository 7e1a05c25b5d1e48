"""Feature: pushes to the default branch make the bot's issues follow the notes."""

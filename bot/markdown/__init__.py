"""Text the bot writes to GitHub (pure): issue bodies with their hidden marker, inert @mentions."""

"""The planner (pure): from the notes before and after, the settings and the bot's issues,
the writes to make.

``plan.plan_changes`` is the entry point; ``reconcile`` decides one existing issue, ``edits`` finds
items edited in place, ``view`` is what the planner knows of the notes, ``issues`` the bot's issues,
``context`` what every part shares, ``texts`` what the bot says in comments, ``actions`` the writes.
"""

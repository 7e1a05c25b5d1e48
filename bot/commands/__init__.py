"""Feature: ``/todo`` commands (``parse`` reads them, ``policy`` says who may, ``verbs`` declares
and runs each verb, ``replies`` answers, ``router`` handles ``issue_comment`` events).

A verb is one decorated function in :mod:`bot.commands.verbs`; importing this package
declares them all, so the parser, the policy and the help always see the same table.
"""

from bot.commands import verbs as verbs

"""Feature: ``/todo`` commands (``parse`` reads them, ``policy`` says who may, ``verbs`` runs
them, ``replies`` answers, ``router`` handles ``issue_comment`` events)."""

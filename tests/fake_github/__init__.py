"""A stateful fake of GitHub's REST API for the bot's tests: real HTTP on 127.0.0.1.

    with FakeGitHub() as fake:                      # or the ``fake_github`` pytest fixture
        repo = fake.add_repo("acme/notes", files={"notes/2024-05-01.md": "..."})
        before, after = repo.push({"notes/2024-05-08.md": "..."})
        # point the bot at fake.url (GITHUB_API_URL) with fake.app_id and fake.private_key_pem,
        # or mint a token directly: fake.installation_token(1); fake.add_token("t", "alice")
        assert [i["title"] for i in repo.issues.values()] == [...]
        assert not fake.violations

Requests and replies are checked against GitHub's full description,
../shared/corpus/github-openapi/api.github.com.json, when it exists; every way the client breaks
GitHub's contract is kept in ``fake.violations`` (the fixture fails the test on any). Webhook
deliveries come from :mod:`fake_github.webhooks`.

Installation tokens carry the app permissions their installation was granted (the manifest's
``default_permissions`` unless a test calls :meth:`FakeGitHub.grant`); an operation needing
more answers 403 "Resource not accessible by integration" (table: :mod:`.permissions`).
Personal tokens are not an app's and are not checked.

Where GitHub's behaviour is worth knowing (the fake mimics it):

- Creating or updating an issue with an assignee who cannot be assigned fails whole with 422
  (``errors[0].field == "assignees"``); ``POST .../assignees`` silently skips such logins.
  Assignable: triage, write, maintain or admin, or :meth:`FakeRepo.add_assignable`.
- Labels named on an issue that do not exist yet are created; names are case-insensitive.
- The issue list includes pull requests (they carry ``pull_request``); ``body`` is ``null``
  when empty; titles over 256 and bodies over 65536 characters are refused (422).
- ``GET`` answers carry a weak ETag; ``If-None-Match`` gives a 304 that costs no budget.
- Compare lists files changed since the merge base, at most 300; renames are those declared
  with ``push(renames=...)`` plus git's exact-content detection. Push deliveries show a
  rename as a removed and an added path, like GitHub's.
- Contents over 1 MB come back with ``"encoding": "none"`` (ask for
  ``application/vnd.github.raw`` instead).

Deliberate simplifications: every call needs a token (repositories act as private to
anonymous callers), a personal token reaches every repository, there are no milestones, and
issue filters the bot has no use for (``type``, ``mentioned``) are refused as violations.
"""

from .limits import PASS_THROUGH
from .pipeline import RecordedRequest
from .repo import FakeRepo
from .server import FakeGitHub

__all__ = ["PASS_THROUGH", "FakeGitHub", "FakeRepo", "RecordedRequest"]

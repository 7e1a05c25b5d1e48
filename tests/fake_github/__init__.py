"""A stateful fake of GitHub's REST API for the bot's tests: real HTTP on 127.0.0.1.

    with FakeGitHub() as fake:                      # or the ``fake_github`` pytest fixture
        repo = fake.add_repo("acme/notes", files={"notes/2024-05-01.md": "..."})
        before, after = repo.push({"notes/2024-05-08.md": "..."})
        # point the bot at fake.url (GITHUB_API_URL) with fake.app_id and fake.private_key_pem
        assert [i["title"] for i in repo.issues.values()] == [...]
        assert not fake.violations

Requests are checked against ../shared/corpus/github-openapi-subset.json when it exists; every
way the client breaks GitHub's contract is kept in ``fake.violations``.
"""

from .limits import PASS_THROUGH
from .pipeline import RecordedRequest
from .repo import FakeRepo
from .server import FakeGitHub

__all__ = ["PASS_THROUGH", "FakeGitHub", "FakeRepo", "RecordedRequest"]

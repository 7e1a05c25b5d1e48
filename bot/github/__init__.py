"""The GitHub REST client layer: credentials, pacing, retries and conditional reads."""

from bot.github.client import GitHubClient, GitHubError, GitHubFactory, RequestStats
from bot.github.retry import RetryPolicy

__all__ = ["GitHubClient", "GitHubError", "GitHubFactory", "RequestStats", "RetryPolicy"]

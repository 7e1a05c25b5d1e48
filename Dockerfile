# meeting-todo-bot: the webhook server by default (the Procfile's web process); see docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Built outside the working directory, so that `python -m bot` runs the installed package.
COPY pyproject.toml README.md /src/
COPY bot /src/bot
RUN pip install /src && rm -rf /src \
    && useradd --system --uid 10001 --create-home --shell /usr/sbin/nologin bot

# Nothing the process does needs root, and the port is above 1024.
USER 10001
WORKDIR /home/bot
ENV PORT=8000
EXPOSE 8000
CMD ["python", "-m", "bot", "serve"]

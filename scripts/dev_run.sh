#!/usr/bin/env bash
# Start the app on embedded defaults: migrate, seed the demo, then the demo LLM endpoint,
# a real Celery worker and the web server. Ctrl-C stops all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8000}"
export DEBUG="${DEBUG:-1}"
export OPENAI_BASE_URL="${OPENAI_BASE_URL:-http://127.0.0.1:8011/v1}"
export OPENAI_API_KEY="${OPENAI_API_KEY:-demo-key}"
BIN=.venv/bin
mkdir -p var/log

$BIN/python manage.py migrate --noinput -v0
$BIN/python manage.py seed_demo

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [[ "$OPENAI_BASE_URL" == http://127.0.0.1:8011/* ]]; then
  $BIN/python -m tests.support.openai_server --port 8011 >var/log/llm-demo.log 2>&1 &
  pids+=($!)
  echo "Demo LLM endpoint: $OPENAI_BASE_URL (log: var/log/llm-demo.log)"
fi
$BIN/celery -A llmops_core worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
$BIN/celery -A llmops_core beat --loglevel=INFO -s var/celerybeat-schedule >var/log/beat.log 2>&1 &
pids+=($!)
echo "Celery worker and beat started (logs: var/log/worker.log, var/log/beat.log)"
echo
echo "  Open http://127.0.0.1:${PORT}/  (API docs: http://127.0.0.1:${PORT}/api/docs/)"
echo "  Log in as lead / demo, or reviewer1 / demo (also reviewer2, reviewer3)."
echo
$BIN/python manage.py runserver "127.0.0.1:${PORT}"

#!/usr/bin/env bash
# The submission service on its embedded defaults, with a demo class and sample submissions:
# SQLite database (migrated), Huey queue on SQLite, one scoring worker, the web server and a
# local SMTP server that keeps every mail as a file. Ctrl-C stops everything.
#   bash scripts/service_demo.sh            # runs until Ctrl-C
#   SERVICE_DEMO_EXIT=1 bash scripts/service_demo.sh   # stops once the samples are scored
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
PORT=${SERVICE_DEMO_PORT:-8000}
SMTP_PORT=${SERVICE_DEMO_SMTP_PORT:-8025}
export COURSE_SERVICE_DATA_DIR=${COURSE_SERVICE_DATA_DIR:-demo_class/service}
export COURSE_SERVICE_BASE_URL="http://127.0.0.1:${PORT}"
export COURSE_SERVICE_SMTP_HOST=127.0.0.1 COURSE_SERVICE_SMTP_PORT="$SMTP_PORT"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
rm -rf "$COURSE_SERVICE_DATA_DIR"
mkdir -p "$COURSE_SERVICE_DATA_DIR/logs"
LOGS="$COURSE_SERVICE_DATA_DIR/logs"
PIDS=()
stop() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

.venv/bin/course-service-migrate
.venv/bin/course-service-smtp-sink --dir "$COURSE_SERVICE_DATA_DIR/mail" --port "$SMTP_PORT" >"$LOGS/smtp.log" 2>&1 &
PIDS+=($!)
.venv/bin/course-service-worker --name worker1 >"$LOGS/worker.log" 2>&1 &
PIDS+=($!)
.venv/bin/course-service-web --port "$PORT" >"$LOGS/web.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 60); do
  if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('$COURSE_SERVICE_BASE_URL/healthz', timeout=1)" 2>/dev/null; then break; fi
  sleep 0.5
done
.venv/bin/course-service-demo
cat <<INFO

提出サイト: $COURSE_SERVICE_BASE_URL
  講師:   teacher / demo-teacher-pass
  受講者: s001〜s004 / demo-student-pass（s005 はメールのリンクでパスワードを設定します）
  メール（SMTP のファイル置き場）: $COURSE_SERVICE_DATA_DIR/mail/*.eml
  ログ: $LOGS/
サンプルの提出 5 件を採点中です（1 件数秒）。Ctrl-C で全部止まります。
INFO
if [ "${SERVICE_DEMO_EXIT:-0}" = "1" ]; then
  .venv/bin/course-service-demo --wait 300
  .venv/bin/course-service-admin status
  exit 0
fi
wait

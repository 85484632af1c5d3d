# Embedded defaults for every process of the assistant; each can be overridden from the environment.
# Sourced by the run-* scripts (paths are relative to the repository root).
mkdir -p var
export RASA_PORT="${RASA_PORT:-5005}"
export RASA_HOST="${RASA_HOST:-127.0.0.1}"  # the Rasa server listens on loopback unless told otherwise
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export WEB_PORT="${WEB_PORT:-8000}"
export KNOWLEDGE_INDEX="${KNOWLEDGE_INDEX:-var/index}"
export EMBEDDING_MODEL="${EMBEDDING_MODEL:-var/models/multilingual-e5-small}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///var/dossiers.sqlite}"
export TRACKER_DB="${TRACKER_DB:-var/tracker.db}"
export RASA_MODEL="${RASA_MODEL:-models/assistant.tar.gz}"
# Every URL is derived from the ports here, and only here (set the *_URL variables to point elsewhere).
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:${ACTIONS_PORT}/webhook}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:${RASA_PORT}}"
export WEB_PUBLIC_URL="${WEB_PUBLIC_URL:-http://127.0.0.1:${WEB_PORT}}"
# Browsers may open the chat (socket.io, REST) from these pages only: the web app by default.
export RASA_CORS_ORIGINS="${RASA_CORS_ORIGINS:-${WEB_PUBLIC_URL},http://localhost:${WEB_PORT}}"
# Secrets: each one set in the environment is used as it is; otherwise one is made once and kept in
# var/ (mode 600). In production (ASSISTANT_ENV=production) nothing is made: each process refuses
# to start without its secrets and names the missing one (bot/production.py).
#   RASA_TOKEN      Rasa's HTTP API token
#   ACTION_TOKEN    what the action server requires from Rasa (endpoints.yml's X-Action-Token header)
#   PRIVACY_KEY     keys the hash of client addresses;  SESSION_SECRET: of widget sessions
#   HANDOFF_KEY     seals a callback's phone number (Fernet: 32 random bytes, URL-safe base64)
if [ "${ASSISTANT_ENV:-}" != production ]; then
  for secret in RASA_TOKEN ACTION_TOKEN PRIVACY_KEY SESSION_SECRET HANDOFF_KEY; do
    if [ -z "${!secret:-}" ]; then
      file="var/$(echo "$secret" | tr 'A-Z_' 'a-z-')"
      if [ ! -s "$file" ]; then
        if [ "$secret" = HANDOFF_KEY ]; then
          (umask 077; head -c 32 /dev/urandom | base64 | tr '+/' '-_' > "$file")
        else
          (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$file")
        fi
      fi
      export "$secret=$(cat "$file")"
    fi
  done
fi
export RASA_TOKEN="${RASA_TOKEN:-}" ACTION_TOKEN="${ACTION_TOKEN:-}"
# The live handoff's database: DATABASE_URL unless set (one database for all in production).
export HANDOFF_DATABASE_URL="${HANDOFF_DATABASE_URL:-${DATABASE_URL}}"
# One math thread per process: on 2 shared cores, more threads fight each other (measured in
# bench/bench_e2e.py: about 3x lower latency and far fewer stalls under load).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
# Never let a library try to reach a model hub or a telemetry service at run time.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RASA_TELEMETRY_ENABLED=false

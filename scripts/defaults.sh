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
# The HTTP API token: set RASA_TOKEN, or one is made once and kept in var/rasa-token.
if [ -z "${RASA_TOKEN:-}" ]; then
  [ -s var/rasa-token ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > var/rasa-token)
  RASA_TOKEN=$(cat var/rasa-token)
fi
export RASA_TOKEN
# Keys for the keyed hashes of client addresses (PRIVACY_KEY) and of widget sessions (SESSION_SECRET).
for secret in PRIVACY_KEY SESSION_SECRET; do
  if [ -z "${!secret:-}" ]; then
    file="var/$(echo "$secret" | tr 'A-Z_' 'a-z-')"
    [ -s "$file" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$file")
    export "$secret=$(cat "$file")"
  fi
done
# The key that seals a callback's phone number (Fernet: 32 random bytes, URL-safe base64), kept in var/handoff-key.
if [ -z "${HANDOFF_KEY:-}" ]; then
  [ -s var/handoff-key ] || (umask 077; head -c 32 /dev/urandom | base64 | tr '+/' '-_' > var/handoff-key)
  HANDOFF_KEY=$(cat var/handoff-key)
fi
export HANDOFF_KEY
# The live handoff's database: DATABASE_URL unless set (one database for all in production).
export HANDOFF_DATABASE_URL="${HANDOFF_DATABASE_URL:-${DATABASE_URL}}"
# One math thread per process: on 2 shared cores, more threads fight each other (measured in
# bench/bench_e2e.py: about 3x lower latency and far fewer stalls under load).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
# Never let a library try to reach a model hub or a telemetry service at run time.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RASA_TELEMETRY_ENABLED=false

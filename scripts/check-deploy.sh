#!/bin/sh
# Before `docker-compose up` (which alone finds a missing secret file, too late): checks
# each secret file the chosen profiles mount, prints every problem with the command that
# fixes it, and exits 1 if there is one, else 0.
#
#   scripts/check-deploy.sh                     # the single node (and COMPOSE_PROFILES)
#   scripts/check-deploy.sh --profile cluster   # the cluster profile too
set -u

cd "$(dirname "$0")/.." || exit 2

usage() {
  echo "usage: scripts/check-deploy.sh [--profile NAME]...   (profiles: proxy, cluster; COMPOSE_PROFILES and .env are read too)"
}

# A setting as compose sees it: the environment first, then .env beside the compose file.
setting() {
  eval "value=\${$1-}"
  if [ -z "$value" ] && [ -f .env ]; then
    value=$(sed -n "s/^[[:space:]]*$1=//p" .env | tail -n 1 | sed -e 's/^["'\'']//' -e 's/["'\'']$//')
  fi
  printf '%s' "$value"
}

profiles=" $(setting COMPOSE_PROFILES | tr ',' ' ') "
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) [ $# -ge 2 ] || { usage >&2; exit 2; }; profiles="$profiles $2 "; shift 2 ;;
    --profile=*) profiles="$profiles ${1#--profile=} "; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
has_profile() { case "$profiles" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

problems=0
problem() {
  problems=$((problems + 1))
  printf '%s\n' "$1"
  shift
  for line in "$@"; do printf '    %s\n' "$line"; done
}

mode_of() { stat -c %a "$1" 2>/dev/null || stat -f %Lp "$1" 2>/dev/null; }
uid_of() { stat -c %u "$1" 2>/dev/null || stat -f %u "$1" 2>/dev/null; }

KEY_CMD='(umask 077; head -c 48 /dev/urandom | base64 >'
HEX_CMD='(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n" >'

# check NAME FILE KIND WHAT: KIND is key (Beacon reads it: uid 1000, mode 600, 32 bytes or
# more), password (PostgreSQL and Beacon read it: hex, owner 999, group 1000, mode 440) or
# pem (a TLS file Beacon reads: uid 1000; the key also mode 600).
check() {
  name=$1 file=$2 kind=$3 what=$4
  case "$kind" in
    key) make="$KEY_CMD $file) && sudo chown 1000:1000 $file" ;;
    password) make="$HEX_CMD $file) && sudo chown 999:1000 $file && sudo chmod 440 $file" ;;
    *) make="cp /path/to/your/$(basename "$file") $file && sudo chown 1000:1000 $file && sudo chmod 600 $file" ;;
  esac
  if [ -d "$file" ]; then
    problem "not a file: $file is a directory ($what; Docker makes one when the file was missing at \`up\`)" \
      "sudo rmdir $file && $make"
    return
  fi
  if [ ! -e "$file" ]; then
    problem "missing: $file ($what, secret $name)" "mkdir -p secrets && $make"
    return
  fi
  mode=$(mode_of "$file")
  case "$kind:$mode" in
    key:*[1-7] | key:*[1-7]? | pem-key:*[1-7] | pem-key:*[1-7]?)
      problem "readable by group or others: $file (mode $mode); Beacon refuses it" "sudo chmod 600 $file" ;;
    password:*[4-7])
      problem "readable by everyone: $file (mode $mode)" "sudo chown 999:1000 $file && sudo chmod 440 $file" ;;
  esac
  owner=$(uid_of "$file")
  case "$kind" in password) want=999 ;; *) want=1000 ;; esac
  if [ -n "$owner" ] && [ "$owner" != "$want" ]; then
    # A warning only: Docker Desktop and rootless Docker map owners differently.
    printf 'warning: %s is owned by uid %s; the container reads it as uid %s (sudo chown %s %s)\n' \
      "$file" "$owner" "$want" "$([ "$kind" = password ] && echo 999:1000 || echo 1000:1000)" "$file"
  fi
  [ -r "$file" ] || return 0 # owned by the container's user: its content cannot be checked from here
  length=$(tr -d '\r\n' <"$file" | wc -c | tr -d ' ')
  if [ "$length" -eq 0 ]; then
    problem "empty: $file ($what)" "sudo rm -f $file && $make"
  elif [ "$kind" = key ] && [ "$length" -lt 32 ]; then
    problem "too short: $file is $length bytes; Beacon needs at least 32" "sudo rm -f $file && $make"
  elif [ "$kind" = password ] && tr -d '\r\n' <"$file" | grep -q '[^0-9A-Za-z._~-]'; then
    problem "not URL-safe: $file (it goes into DATABASE_URL as it is: use hex digits)" "sudo rm -f $file && $make"
  fi
}

# A secret mounted only when its lines in docker-compose.yml are uncommented.
mounted() { grep -Eq "^[[:space:]]+- $1[[:space:]]*\$" docker-compose.yml; }

check jwt_secret_key secrets/jwt_secret_key key "the JWT signing key"
if [ -n "$(setting BEACON_ADMIN_API_KEY_FILE)" ]; then
  mounted admin_api_key || problem "BEACON_ADMIN_API_KEY_FILE is set but the single node does not mount admin_api_key" \
    "uncomment \"- admin_api_key\" under the beacon service's secrets in docker-compose.yml"
  has_profile cluster || check admin_api_key secrets/admin_api_key key "the admin API key"
fi
if [ -n "$(setting BEACON_TLS_CERT_FILE)$(setting BEACON_TLS_KEY_FILE)" ]; then
  for s in tls_cert tls_key; do
    mounted "$s" || problem "BEACON_TLS_CERT_FILE/BEACON_TLS_KEY_FILE are set but the $s secret is not mounted" \
      "uncomment \"- $s\" and the $s entry under secrets: in docker-compose.yml"
  done
  check tls_cert secrets/tls_cert.pem pem "the TLS certificate chain"
  check tls_key secrets/tls_key.pem pem-key "the TLS private key"
fi
if has_profile cluster; then
  check admin_api_key secrets/admin_api_key key "the admin API key of the cluster"
  check postgres_password secrets/postgres_password password "PostgreSQL's password"
fi

# The compose file itself, when a compose tool is at hand.
if command -v docker-compose >/dev/null 2>&1; then
  compose="docker-compose"
elif docker compose version >/dev/null 2>&1; then
  compose="docker compose"
else
  compose=""
fi
if [ -n "$compose" ]; then
  if ! errors=$($compose -f docker-compose.yml config -q 2>&1); then
    problem "docker-compose.yml does not validate:" "$errors"
  fi
fi

shown=$(echo $profiles)
if [ "$problems" -gt 0 ]; then
  echo "$problems problem(s) for profiles: default${shown:+ $shown}; fix them before \`docker-compose up\`."
  exit 1
fi
echo "deploy check passed for profiles: default${shown:+ $shown}"

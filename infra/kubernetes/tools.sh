# Sourced by scripts/check-kubernetes and scripts/check-container (from the repository root):
# the pinned checkov, kubernetes-validate and hadolint (infra/kubernetes/requirements.txt) in a
# venv cached OUTSIDE the repo, ${MEDIAGATE_CACHE:-$HOME/.cache/mediagate}/k8s-venv-<hash>,
# built under a temporary name and renamed into place only once complete, as scripts/check-infra
# does. Sets PY (the venv's python) and HADOLINT. Nothing reaches the network after the install.
#
# The caller defines step() and die().

CACHE="${MEDIAGATE_CACHE:-$HOME/.cache/mediagate}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd -P)"

K8S_TMP_DIRS=()
k8s_cleanup() { if ((${#K8S_TMP_DIRS[@]})); then rm -rf -- "${K8S_TMP_DIRS[@]}"; fi; }
trap k8s_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Leftovers of runs that were killed mid-install.
find "$CACHE" -mindepth 1 -maxdepth 1 -name '.tmp-k8s-*' -mmin +60 -exec rm -rf -- {} + 2>/dev/null || true

command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH: the checks need Python 3.11 (python3 -m venv)"

k8s_pins_hash="$(sha256sum infra/kubernetes/requirements.txt | cut -c1-12)"
VENV="$CACHE/k8s-venv-$k8s_pins_hash"

k8s_venv_ok() {
  [[ -x "$1/bin/python" && -x "$1/bin/hadolint" ]] &&
    "$1/bin/python" -c 'import checkov, kubernetes_validate, yaml' 2>/dev/null &&
    "$1/bin/hadolint" --version >/dev/null 2>&1
}

if k8s_venv_ok "$VENV"; then
  step "tools: reusing $VENV"
else
  step "tools: creating $VENV (pip, once per pin change)"
  [[ -e "$VENV" ]] && rm -rf -- "$VENV"
  k8s_tmp="$(mktemp -d "$CACHE/.tmp-k8s-venv.XXXXXX")"
  K8S_TMP_DIRS+=("$k8s_tmp")
  chmod 755 "$k8s_tmp"
  python3 -m venv "$k8s_tmp"
  "$k8s_tmp/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r infra/kubernetes/requirements.txt ||
    die "pip install -r infra/kubernetes/requirements.txt failed"
  # Only bin/python (tools run as modules) and bin/hadolint (a static binary) are used
  # afterwards: the console scripts' #! lines name the temporary path.
  if ! mv -T -- "$k8s_tmp" "$VENV" 2>/dev/null; then
    # Another run published it meanwhile: keep theirs.
    [[ -d "$VENV" ]] || die "could not move $k8s_tmp to $VENV"
  fi
  k8s_venv_ok "$VENV" || die "the new venv $VENV cannot run checkov, kubernetes-validate and hadolint"
fi
PY="$VENV/bin/python"
HADOLINT="$VENV/bin/hadolint"

# checkov: never reach the network (infra/tests/checkov_run.py sets the rest per run).
export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false CKV_NO_PROMPT=1 CHECKOV_VERSION_CHECK=false
# No __pycache__ folders left in infra/ by our own modules.
export PYTHONDONTWRITEBYTECODE=1

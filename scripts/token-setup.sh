#!/usr/bin/env bash
# Creates a SoftHSM2 token for the demo and the tests, non-interactively and re-runnably:
# a token in DIR (its own SOFTHSM2_CONF, so nothing outside DIR is touched), an RSA-2048 key
# generated on the token (it never exists outside it), and a certificate shaped like an
# organisation's service certificate (subject serialNumber = the organisation OID) stored beside
# the key, issued by a test CA kept in DIR/ca (ca.pem: the trust anchor to give verify and
# archive-sim, standing in for DVV's). The user PIN comes from KANTAMIG_PIN; the SO PIN from KANTAMIG_SO_PIN or a random one.
#
#   KANTAMIG_PIN=... scripts/token-setup.sh DIR [ORG_OID] [ORG_NAME]
#
# Afterwards: export SOFTHSM2_CONF=DIR/softhsm2.conf; token label kantamig, key label org-signing.
set -euo pipefail
dir=${1:?usage: token-setup.sh DIR [ORG_OID] [ORG_NAME]}
org_oid=${2:-1.2.246.10.99999991.10.0}
org_name=${3:-Kuvitelman hyvinvointialue}
: "${KANTAMIG_PIN:?set KANTAMIG_PIN to the PIN the new token gets}"
so_pin=${KANTAMIG_SO_PIN:-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}
module=${KANTAMIG_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
label=${KANTAMIG_TOKEN_LABEL:-kantamig}
key=${KANTAMIG_KEY_LABEL:-org-signing}

for tool in softhsm2-util pkcs11-tool; do
  command -v "$tool" >/dev/null || { echo "token-setup: $tool is missing; install softhsm2 and opensc" >&2; exit 1; }
done
[ -e "$module" ] || { echo "token-setup: no PKCS#11 module at $module (install softhsm2)" >&2; exit 1; }

mkdir -p "$dir" && chmod 0700 "$dir"   # the token, its PIN-protected key and its config: the owner only
dir=$(cd "$dir" && pwd)
umask 077
rm -rf "$dir/tokens"
mkdir -p "$dir/tokens"
export SOFTHSM2_CONF=$dir/softhsm2.conf
cat > "$SOFTHSM2_CONF" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
# PINs go to the tools on their command lines, which only this user's processes can read on this
# throwaway token; real tokens are initialised by their owners' own procedures.
softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$KANTAMIG_PIN" >/dev/null
pkcs11-tool --module "$module" --token-label "$label" --login --pin "$KANTAMIG_PIN" \
  --keypairgen --key-type rsa:2048 --id 01 --label "$key" --usage-sign >/dev/null
cd "$(dirname "$0")/.."
go run ./tools/tokencert -module "$module" -token "$label" -key "$key" -org-oid "$org_oid" -org-name "$org_name" -out "$dir/$key.pem" -ca "$dir/ca"
echo "token-setup: token \"$label\" with key \"$key\" in $dir (export SOFTHSM2_CONF=$SOFTHSM2_CONF)"

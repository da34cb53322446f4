#!/usr/bin/env bash
# The shell reference of `cargo xtask bench`: the same job as `es-autoconf init` with the
# openssl CLI, one command after the other, as an administrator's script would do it.
#
#   4 RSA-4096 keys (transport CA, transport node, HTTP CA, HTTP node); the two CAs self-signed,
#   the two node certificates signed by their CA (SHA-256, 3 years); transport.p12 (node key +
#   chain, CA) and http.p12 (node key + chain), each with a random password; http_ca.crt (PEM).
#   No keystore and no bcrypt: openssl has neither.
#
# Usage: reference-openssl.sh OUT_DIR
set -euo pipefail
out=${1:?usage: reference-openssl.sh OUT_DIR}
mkdir -p "$out"
cd "$out"
start=$(date +%s%N)

ca() { # name, subject
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$1_ca.key"
    openssl req -new -x509 -sha256 -days 1095 -key "$1_ca.key" -subj "$2" \
        -addext basicConstraints=critical,CA:true,pathlen:0 -out "$1_ca.crt"
}
node() { # name
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$1.key"
    openssl req -new -sha256 -key "$1.key" -subj "/CN=node" -out "$1.csr"
    openssl x509 -req -sha256 -days 1095 -in "$1.csr" -CA "$1_ca.crt" -CAkey "$1_ca.key" \
        -CAcreateserial -out "$1.crt" 2>/dev/null
}

ca transport "/CN=Elasticsearch security auto-configuration transport CA"
node transport
ca http "/CN=Elasticsearch security auto-configuration HTTP CA"
node http

pw() { openssl rand -base64 18; }
openssl pkcs12 -export -name transport -inkey transport.key -in transport.crt \
    -certfile transport_ca.crt -passout "pass:$(pw)" -out transport.p12
openssl pkcs12 -export -name http -inkey http.key -in http.crt \
    -certfile http_ca.crt -passout "pass:$(pw)" -out http.p12
cp http_ca.crt http_ca.pem
sync -f . 2>/dev/null || true
rm -f ./*.key ./*.csr ./*.srl
echo "reference_openssl $(( ($(date +%s%N) - start) / 1000000 ))"

#!/usr/bin/env bash
# Makes the private CA and the NATS nodes' certificates deploy/compose.cluster.yaml mounts, in
# deploy/compose/certs/ (or the folder given). Each node's certificate names it (DNS nats1…3: what the routes and
# the replicas dial) and serves both ends of a route (serverAuth and clientAuth). Needs openssl.
#
#   deploy/compose/make-certs.sh [out-dir] [days]
#
# Keep certs/ca.key away from the nodes afterwards: whoever holds it can sign a node into the cluster.
set -euo pipefail

out=${1:-"$(dirname "${BASH_SOURCE[0]}")/certs"}
days=${2:-825}
nodes=(nats1 nats2 nats3)
command -v openssl >/dev/null || {
  echo 'make-certs.sh: openssl not found; install it: apt-get install -y openssl' >&2
  exit 1
}
mkdir -p "$out"
umask 077

if [[ ! -e $out/ca.key ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
    -subj '/CN=Homeport NATS cluster CA' -keyout "$out/ca.key" -out "$out/ca.pem" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
fi

for node in "${nodes[@]}"; do
  extensions=$(mktemp)
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' \
    "$node" >"$extensions"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$node" \
    -keyout "$out/$node.key" -out "$out/$node.csr" 2>/dev/null
  openssl x509 -req -in "$out/$node.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial \
    -days "$days" -extfile "$extensions" -out "$out/$node.pem" 2>/dev/null
  rm -f "$out/$node.csr" "$extensions"
done
rm -f "$out/ca.srl"
# The Homeport replicas (uid 10001) read the CA; the nodes' keys stay readable by their owner (the nats
# containers run as root).
chmod 0644 "$out/ca.pem" "$out"/nats?.pem
echo "certificates for ${nodes[*]} in $out (CA valid $days days)"

#!/usr/bin/env bash
# Makes the TLS fixtures of the tests (TestTls): a CA, a server certificate for 127.0.0.1 and localhost,
# one for localhost alone,
# a client certificate with its key in PKCS #8, PKCS #1 and encrypted PEM, an EC client certificate with
# its key in SEC 1 PEM, a CA nobody trusts, and a certificate that has expired (with its CA).
# The others are valid for 100 years, so the tests never see them expire. Run from this directory; needs openssl.
set -euo pipefail
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days $days -subj "/CN=Ballast test CA" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -out other-ca.pem -days $days -subj "/CN=Untrusted test CA" 2>/dev/null
issue() { # name subject extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$1-key.pem" -out "$1.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out "$1.pem" -days $days \
    -extfile <(printf '%s\n' "$3") 2>/dev/null
  rm "$1.csr"
}
issue server "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
issue client "/CN=ballast" "extendedKeyUsage=clientAuth"
issue server-localhost "/CN=localhost" "subjectAltName=DNS:localhost
extendedKeyUsage=serverAuth"
openssl pkey -in client-key.pem -traditional -out client-key-pkcs1.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out client-ec-key-sec1.pem
openssl req -new -key client-ec-key-sec1.pem -out client-ec.csr -subj "/CN=ballast-ec" 2>/dev/null
openssl x509 -req -in client-ec.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client-ec.pem -days $days \
  -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
rm client-ec.csr
openssl pkcs8 -topk8 -in client-key.pem -passout pass:secret -out client-key-encrypted.pem
rm -f ca.srl ca-key.pem
# A server certificate for 127.0.0.1 that expired a day before it was made, from a CA of its own
# (expired-ca.pem): trusting that CA, a client sees the expiry, not an unknown authority.
openssl req -x509 -newkey rsa:2048 -nodes -keyout expired-ca-key.pem -out expired-ca.pem -days $days \
  -subj "/CN=Ballast test CA of an expired certificate" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server-expired-key.pem -out server-expired.csr -subj "/CN=127.0.0.1" 2>/dev/null
openssl x509 -req -in server-expired.csr -CA expired-ca.pem -CAkey expired-ca-key.pem -CAcreateserial \
  -out server-expired.pem -days -1 -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') 2>/dev/null
rm -f server-expired.csr expired-ca.srl expired-ca-key.pem

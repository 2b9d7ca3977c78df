#!/bin/sh
# The one-shot set-up of compose.yaml's federation (the demo story's members), through the same
# commands as docs/operations.md's production path. Runs in the site folder (the `site` volume).
#   init-federation.sh pki     CAs, the registry's and the members' credentials (before the registry)
#   init-federation.sh enrol   trust, members, services; gateways register and are approved
#   init-federation.sh grant   information-system certificates and access rules (gateways running)
# Each phase does nothing when it already ran, so `docker compose up` may run it again.
set -eu
INSTANCE=${INSTANCE:-DEMO}
REGISTRY=${REGISTRY:-https://localhost:4400}
EID=${EID:-http://127.0.0.1:4402}
OPERATOR="--url https://localhost:4401 --cert operator/operator.pem --key operator/operator.key.pem --ca pki/root-ca.pem"
# member code, subsystem, gateway peer port, adapter registry (none: a consumer)
MEMBERS="munich:parking-permits:4410:none residents-office:register:4411:population
vehicle-authority:vehicles:4412:vehicles business-register:companies:4413:business-register"

issue() { # issue FILE-PREFIX PROFILE SUBJECT [csr options]
  einmal pki keygen --out "$1.key.pem"
  file=$1 profile=$2 subject=$3
  shift 3
  einmal pki csr --key "$file.key.pem" --profile "$profile" --subject "$subject" "$@" --out "$file.csr.pem"
  einmal pki sign --ca pki/issuing-ca --csr "$file.csr.pem" --profile "$profile" --out "$file.pem"
  cat pki/issuing-ca/ca.pem >> "$file.pem"
}
secret() { node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))" > "$1"; chmod 600 "$1"; }

pki() {
  [ -f pki/done ] && return 0
  rm -rf pki registry operator members
  einmal pki init-root --dir pki/root-ca --name "CN=$INSTANCE Root CA, O=$INSTANCE" --days 7300
  einmal pki init-issuing --dir pki/issuing-ca --root pki/root-ca --name "CN=$INSTANCE Issuing CA, O=$INSTANCE" --days 3650
  cp pki/root-ca/ca.pem pki/root-ca.pem
  cat pki/issuing-ca/ca.pem pki/root-ca/ca.pem > pki/ca-bundle.pem
  mkdir -p registry operator
  issue registry/tls auth "CN=$INSTANCE registry, O=$INSTANCE" --host localhost --host 127.0.0.1
  issue registry/directory directory "CN=$INSTANCE directory signing, O=$INSTANCE"
  issue registry/witness witness "CN=$INSTANCE witness, O=$INSTANCE"
  issue operator/operator operator "CN=$INSTANCE operator, O=$INSTANCE"
  secret portal-oidc-secret
  for entry in $MEMBERS; do
    IFS=: read -r code subsystem port adapter <<EOF2
$entry
EOF2
    member=$INSTANCE/GOV/$code
    mkdir -p "members/$code"
    issue "members/$code/signing" signing "CN=$member, O=$member" --member "$member"
    issue "members/$code/$subsystem-client" client "CN=$member/$subsystem, O=$member" --client "$member/$subsystem"
    [ "$adapter" = none ] || issue "members/$code/adapter" auth "CN=$member adapter, O=$member" --host localhost
    secret "members/$code/admin-token"
  done
  touch pki/done
}

enrol() {
  [ -f members/enrolled ] && return 0
  einmal registry ca-add $OPERATOR --name "$INSTANCE Issuing CA" --certificate pki/issuing-ca/ca.pem
  einmal registry eid-issuer-add $OPERATOR --issuer "$EID" --jwks-uri "$EID/jwks" \
    --acr http://eidas.europa.eu/LoA/low=low --acr http://eidas.europa.eu/LoA/substantial=substantial \
    --acr http://eidas.europa.eu/LoA/high=high --role auditor
  einmal registry member-add $OPERATOR --id "$INSTANCE/GOV/munich" --name "Landeshauptstadt München"
  einmal registry member-add $OPERATOR --id "$INSTANCE/GOV/residents-office" --name "Residents' registration office"
  einmal registry member-add $OPERATOR --id "$INSTANCE/GOV/vehicle-authority" --name "Vehicle registration authority"
  einmal registry member-add $OPERATOR --id "$INSTANCE/GOV/business-register" --name "Business register"
  for entry in $MEMBERS; do
    IFS=: read -r code subsystem port adapter <<EOF2
$entry
EOF2
    einmal registry subsystem-add $OPERATOR --id "$INSTANCE/GOV/$code/$subsystem"
  done
  permit="parking-permit=Application for a resident parking permit"
  einmal registry service-add $OPERATOR --id "$INSTANCE/GOV/residents-office/register/address-v1" \
    --title "Registered address" \
    --description "Your current registered main residence from the residents' register." \
    --personal-data --loa substantial --scope population.address --purpose "$permit" \
    --legal-basis "de-bmg-34=§ 34 Federal Registration Act (transfer to public bodies)"
  einmal registry service-add $OPERATOR --id "$INSTANCE/GOV/residents-office/register/household-v1" \
    --title "Household members" \
    --description "The people registered at your address (names and dates of birth)." \
    --personal-data --loa high --scope population.household --purpose "$permit" \
    --legal-basis "de-bmg-34=§ 34 Federal Registration Act (transfer to public bodies)"
  einmal registry service-add $OPERATOR --id "$INSTANCE/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1" \
    --title "Vehicles held" \
    --description "Vehicles registered with you as holder (registration plate, make, emission class)." \
    --personal-data --loa substantial --scope vehicles.holder --purpose "$permit" \
    --purpose "traffic-offence=Investigation of a traffic offence" \
    --legal-basis "de-stvg-35=§ 35 Road Traffic Act (transfer of vehicle register data)" --hideable
  einmal registry service-add $OPERATOR --id "$INSTANCE/GOV/business-register/companies/company-v1" \
    --title "Company record" --description "Public data of a registered company."
  for entry in $MEMBERS; do
    IFS=: read -r code subsystem port adapter <<EOF2
$entry
EOF2
    member=$INSTANCE/GOV/$code
    public=$((port + 300))
    einmal gateway init --member "$member" --code gw1 --host localhost --host 127.0.0.1 --port "$port" \
      --signing-key "members/$code/signing.key.pem" --signing-cert "members/$code/signing.pem" \
      --out "members/$code/gw1" --force
    einmal gateway register --registry "$REGISTRY" --ca pki/root-ca.pem --dir "members/$code/gw1"
    einmal registry registration-approve $OPERATOR --gateway "$member/gw1" \
      --client "$member/$subsystem" --public-address "https://localhost:$public"
    einmal gateway register --registry "$REGISTRY" --ca pki/root-ca.pem --dir "members/$code/gw1" --wait 60
  done
  touch members/enrolled
}

grant() {
  [ -f members/granted ] && return 0
  client=$INSTANCE/GOV/munich/parking-permits
  GATEWAY_ADMIN_TOKEN=$(cat members/munich/admin-token) einmal gateway is-cert-add \
    --admin http://127.0.0.1:4610 --client "$client" --cert members/munich/parking-permits-client.pem
  for service in residents-office:4611:register/address-v1 residents-office:4611:register/household-v1 \
    vehicle-authority:4612:vehicles/vehicles-by-holder-v1 business-register:4613:companies/company-v1; do
    IFS=: read -r code admin path <<EOF2
$service
EOF2
    GATEWAY_ADMIN_TOKEN=$(cat "members/$code/admin-token") einmal gateway acl-add \
      --admin "http://127.0.0.1:$admin" --subject "$client" --service "$INSTANCE/GOV/$code/$path"
  done
  touch members/granted
}

"$1"

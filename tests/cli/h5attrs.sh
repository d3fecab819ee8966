# Self-describing files (docs/schema.md, "Descriptive attributes"): units, fault codes and
# column names read back with h5dump, and the same run still writes the same bytes.
source "$(dirname "$0")/lib.sh"

# attr FILE OBJECT NAME: the string attribute NAME of OBJECT, as h5dump prints it; fails if absent.
attr() {
  h5dump -a "$2/$3" "$1" >"$WORK/dump" 2>&1 || fail "no attribute $3 on $2 in $1: $(cat "$WORK/dump")"
  sed -n 's/^ *(0): "\(.*\)"$/\1/p' "$WORK/dump"
}
expect_attr() {
  local got
  got=$(attr "$1" "$2" "$3")
  [ "$got" = "$4" ] || fail "$2@$3 is '$got', expected '$4'"
}

M="$WORK/m.h5"
nnc-train --arch c4k5,mp2,flat,fc10 --dataset mnist --epochs 1 $VAL --quiet -o "$M"
expect_attr "$M" /history/val_accuracy units fraction
expect_attr "$M" /history/train_loss units nats

C="$WORK/c.h5"
nnc-program-rram "$M" -o "$C" --method rvw --sigma 0.3 --max-pulses 5 --tile 32 --seed 3 --quiet
for l in 000 003; do
  expect_attr "$C" /chip/layers/$l/g_plus units siemens
  expect_attr "$C" /chip/layers/$l/g_minus units siemens
  for cell in fault_plus fault_minus; do
    expect_attr "$C" /chip/layers/$l/$cell codes "0 none, 1 SF1 stuck at HRS (G_off), 2 SF0 stuck at LRS (G_on)"
  done
  expect_attr "$C" /programming/layers/$l/pulses_plus units pulses
done
attr "$C" /chip/layers/000/tile_used codes | grep -q "^0 not placed" || fail "tile_used has no codes"
expect_attr "$C" /model/history/val_accuracy units fraction

A="$WORK/a.h5"
nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --epochs 1 --seed 2 --quiet -o "$A"
expect_attr "$A" /rsa/history/points columns "step,time_s,val_accuracy,val_loss"
expect_attr "$A" /rsa/history/epochs columns "epoch,train_loss,train_accuracy"
expect_attr "$A" /rsa/layers/000/value units "weight units"

# The attributes keep files byte-identical: the same run twice gives the same bytes (to stdout,
# since the command line, output path included, is recorded in the provenance).
for i in 1 2; do
  nnc-program-rram "$M" -o - --method rvw --sigma 0.3 --max-pulses 5 --tile 32 --seed 3 --quiet >"$WORK/c$i.h5"
  nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --epochs 1 --seed 2 --quiet -o - >"$WORK/a$i.h5"
done
attr "$WORK/c1.h5" /chip/layers/000/g_plus units | grep -qx siemens || fail "no units in the streamed chip"
cmp -s "$WORK/c1.h5" "$WORK/c2.h5" || fail "the same chip run wrote different bytes"
cmp -s "$WORK/a1.h5" "$WORK/a2.h5" || fail "the same RSA run wrote different bytes"
echo "h5attrs: ok"

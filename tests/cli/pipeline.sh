# The pipeline's helpers without network or training: data/fetch.sh takes several names (each
# reported, a failing one does not stop the others), refuses a CIFAR-10 archive with the wrong
# MD5 and says what it tried when CIFAR-10 cannot be made; `make -f Makefile.pipeline help`
# lists the targets and variables.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

# A copy of fetch.sh in a repository of its own, so the real data/ is never touched; no
# ../shared beside it, so the CIFAR-10 converter is absent. NNC_OFFLINE: never the network.
REPO="$WORK/repo"
mkdir -p "$REPO/data"
cp "$SRC/data/fetch.sh" "$REPO/data/"
export NNC_OFFLINE=1
unset NNC_CIFAR10_ARCHIVE

# Three names, all in $NNC_DATASETS (the fixture): each reported, exit 0.
"$REPO/data/fetch.sh" mnist fashion-mnist cifar10 2>"$WORK/err" || fail "fetch.sh failed: $(cat "$WORK/err")"
grep -q "mnist: using $FIX/mnist" "$WORK/err" || fail "mnist not reported: $(cat "$WORK/err")"
grep -q "fashion-mnist: using $FIX/fashion-mnist" "$WORK/err" || fail "fashion-mnist not reported: $(cat "$WORK/err")"
grep -q "cifar10: .* -> $FIX/cifar-10-batches-bin" "$WORK/err" || fail "cifar10 not reported: $(cat "$WORK/err")"
[ -e "$REPO/data/cifar-10-batches-bin/test_batch.bin" ] || fail "data/cifar-10-batches-bin not linked"
# Run again: already there.
"$REPO/data/fetch.sh" cifar10 mnist 2>"$WORK/err"
grep -q "cifar10: .* exists" "$WORK/err" && grep -q "mnist: using" "$WORK/err" || fail "rerun: $(cat "$WORK/err")"

expect_exit 2 "unknown dataset or option 'cifar100'" "$REPO/data/fetch.sh" mnist cifar100
expect_exit 2 "Usage" "$REPO/data/fetch.sh" --archive

# CIFAR-10 absent everywhere: the other names are still made, cifar10 says what it tried and
# how to give the archive, exit 1.
rm "$REPO/data/cifar-10-batches-bin"
mkdir -p "$WORK/nocifar"
ln -s "$FIX/mnist" "$WORK/nocifar/mnist"
rc=0
NNC_DATASETS="$WORK/nocifar" "$REPO/data/fetch.sh" cifar10 mnist 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "CIFAR-10 missing: exit $rc, expected 1: $(cat "$WORK/err")"
grep -q "mnist: using $WORK/nocifar/mnist" "$WORK/err" || fail "mnist not made after cifar10 failed: $(cat "$WORK/err")"
grep -q "cifar10: not made: .*cifar10-to-bin" "$WORK/err" || fail "no clear cifar10 message: $(cat "$WORK/err")"
grep -q -- "--archive" "$WORK/err" || fail "the message does not say how to give the archive"
grep -q "not made: cifar10" "$WORK/err" || fail "no summary: $(cat "$WORK/err")"

# An archive that is not the official one is refused by its MD5, and nothing is left.
mkdir -p "$WORK/fake/cifar-10-batches-bin"
touch "$WORK/fake/cifar-10-batches-bin/test_batch.bin"
tar czf "$WORK/fake.tar.gz" -C "$WORK/fake" cifar-10-batches-bin
rc=0
NNC_DATASETS="$WORK/nocifar" "$REPO/data/fetch.sh" cifar10 --archive "$WORK/fake.tar.gz" 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "a wrong archive: exit $rc"
grep -q "expected c32a1d4ab5d03f1284b67883e8d87530" "$WORK/err" || fail "no MD5 message: $(cat "$WORK/err")"
[ ! -e "$REPO/data/cifar-10-batches-bin" ] || fail "a wrong archive left data/cifar-10-batches-bin"
rc=0
NNC_DATASETS="$WORK/nocifar" NNC_CIFAR10_ARCHIVE="$WORK/none.tar.gz" "$REPO/data/fetch.sh" cifar10 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] && grep -q "none.tar.gz: no such file" "$WORK/err" || fail "a missing archive: exit $rc, $(cat "$WORK/err")"
ls -A "$REPO/data" | grep -q part && fail "a partial file was left: $(ls -A "$REPO/data")"

# make -f Makefile.pipeline help: every target and variable, one line each.
make -s -C "$SRC" -f Makefile.pipeline help >"$WORK/help"
for word in quick all report degradation fig4 table1 fig7 fig9 combined cifar data help \
            PROFILE OUT JOBS THREADS BUILD NNC_BIN_DIR NNC_DATASETS NNC_CIFAR10_ARCHIVE; do
  grep -q -E "^  $word " "$WORK/help" || fail "make help does not list $word: $(cat "$WORK/help")"
done
grep -q "PROFILE .*\[quick\]" "$WORK/help" || fail "make help does not show PROFILE's value"
echo "pipeline: ok"

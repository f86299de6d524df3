#!/bin/sh
# R and MatchIt for the validation script and the benchmark (not for the test suite).
#
# Debian 12 has MatchIt 4.5.1 (r-cran-matchit), whose nearest-neighbour matching on a
# propensity score is broken: it compares distances with the integer abs(), so every distance
# below 1 counts as 0. The caliper is then never applied (MatchIt issue #163), and when there
# is an unused control on both sides of a treated unit the lower one is always taken, however
# far away. MatchIt 4.7.1 (Debian 13's r-cran-matchit) has it fixed, so this builds that
# release from Debian's source package, with the two libraries it needs that Debian 12 has too
# old (rlang) or not at all (chk), into var/r-lib. Debian 12's 4.5.1 stays installed beside it
# for comparison. The downloads are checked against the SHA-256 sums in Debian 13's Sources.
set -eu
cd "$(dirname "$0")/../.."
LIB=var/r-lib
POOL=http://deb.debian.org/debian/pool/main/r

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    r-base-core r-base-dev r-cran-matchit r-cran-sandwich r-cran-rcpp r-cran-rcppprogress \
    r-cran-backports r-cran-lifecycle >/dev/null

mkdir -p "$LIB" var/r-src
fetch() {  # package, file, sha256
    path="var/r-src/$2"
    [ -f "$path" ] || curl -sSf -m 300 -o "$path" "$POOL/$1/$2"
    echo "$3  $path" | sha256sum -c --quiet -
}
fetch r-cran-rlang r-cran-rlang_1.1.5.orig.tar.gz \
    9fd99b244f1d81df89dff501c702e8347b12434ea492338d3d04eb3fbcc01ced
fetch r-cran-chk r-cran-chk_0.10.0.orig.tar.gz \
    5b08cdfa691f65febbc939fc1f45a2b6ffbb446c6b554732a1cd7214fdabd384
fetch r-cran-matchit r-cran-matchit_4.7.1.orig.tar.gz \
    57b86ff34211c279a4b22cf09d0a1160bc12f05c8bb471279cd07562bfcb9989

for tarball in r-cran-rlang_1.1.5 r-cran-chk_0.10.0 r-cran-matchit_4.7.1; do
    R_LIBS="$LIB" R CMD INSTALL --no-docs --no-html --library="$LIB" \
        "var/r-src/$tarball.orig.tar.gz" >"var/r-src/$tarball.log" 2>&1 \
        || { tail -20 "var/r-src/$tarball.log"; exit 1; }
done
R_LIBS="$LIB" Rscript -e 'cat("MatchIt", format(packageVersion("MatchIt")), "in var/r-lib\n")'

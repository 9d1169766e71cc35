#!/usr/bin/env bash
# Ours and the peers of ../shared/anchors, back to back in the same minute, so the README's
# ratios are measured under the same machine load. Needs the peers: ../shared/anchors/install.sh.
#   bash bench/peers.sh [gemm|mlp|spgemm|ntk]...   (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
anchors=${ANCHORS:-../shared/anchors}
dotnet build -c Release src/Cli >/dev/null || exit 1
nf() { dotnet src/Cli/bin/Release/net10.0/nativefree.dll "$@"; }
# OpenBLAS's AVX-512 kernel is the stronger peer; this machine pins the AVX2 one by default.
blas() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$@"; }
what=${*:-gemm mlp spgemm ntk}
tmp=$(mktemp -d)
for w in $what; do
  case $w in
    gemm)
      for t in 1 2; do
        for dt in float32 float64; do
          blas $anchors/gemm_openblas.py --dtype $dt --threads $t 64 1024 4096 | grep gemm
          for n in 64 1024 4096; do nf bench gemm --n $n --dtype $dt --threads $t | grep -i gflop; done
        done
      done ;;
    mlp)   # torch, then the step through Models (the default) and the hand-written one, in the same minute
      /usr/bin/python3 $anchors/mlp_torch.py --opt sgd
      nf bench mlp-step --impl models
      nf bench mlp-step --impl hand ;;
    spgemm)
      nf bench spgemm --full --write-inputs $tmp >/dev/null   # R-MAT 14/16, Laplacians 2-D 1024², 3-D 64³
      for f in $tmp/*.mtx; do
        /usr/bin/python3 $anchors/spgemm_scipy.py "$f"
        nf spgemm "$f" --threads 1 --repeat 3
        nf spgemm "$f" --threads 2 --repeat 3
      done ;;
    ntk)   # both sides at N=2000 and 4000 in the same minute; best of 5 (ours) and 2 (numpy, ~7 s a run) runs
      nf bench kernel --n 2000 --n 4000 --repeat 5 --anchor $anchors/ntk_numpy.py --anchor-repeat 2 ;;
  esac
done
rm -rf "$tmp"

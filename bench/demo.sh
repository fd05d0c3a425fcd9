#!/bin/sh
# The embedded demo (`make demo`): simulate data whose truth is known, calibrate them with jwcal
# filters chained by pipes, and render previews. No downloads: everything comes from `jwcal simulate`.
#   stage 1: a full-frame NIRCam ramp (cosmic rays, snowballs, 1/f noise) -> _rate
#   stage 3: dithered _cal images with header WCS errors -> tweakreg (absolute, against a catalog)
#            -> outlier -> resample -> _i2d mosaic
# Usage: sh bench/demo.sh OUTDIR   (OUTDIR is replaced)
set -eu
# a failing command of a chain fails the demo, where the shell has pipefail (bash, zsh, ksh; not every dash)
(set -o pipefail 2>/dev/null) && set -o pipefail
out=${1:-demo-output}
rm -rf "$out"
mkdir -p "$out"
cd "$out"
step() { printf '\n== %s\n' "$*" >&2; }
timed() {
  label=$1; shift; start=$(date +%s.%N); "$@"
  awk -v s="$start" -v e="$(date +%s.%N)" -v l="$label" 'BEGIN { printf "   %s: %.1f s\n", l, e - s }' >&2
}

step "simulate a full-frame NIRCam ramp (10 groups, non-linear, dark current) with its references and truth"
timed "simulate ramp" jwcal simulate ramp -o raw --ngroups 10 --nonlinear --dark-current 0.05 --seed 1
uncal=$(ls raw/*_uncal.fits)
rate=$(basename "$uncal" _uncal.fits)_rate.fits

step "stage 1: dq-init | saturation | superbias | refpix | linearity | dark | jump | ramp-fit"
stage1() {
  jwcal dq-init --mask raw/mask.fits "$uncal" \
    | jwcal saturation --saturation raw/saturation.fits \
    | jwcal superbias --superbias raw/superbias.fits \
    | jwcal refpix \
    | jwcal linearity --linearity raw/linearity.fits \
    | jwcal dark --dark raw/dark.fits \
    | jwcal jump --gain raw/gain.fits --readnoise raw/readnoise.fits \
    | jwcal ramp-fit --gain raw/gain.fits --readnoise raw/readnoise.fits -o "$rate"
}
timed "stage 1 chain" stage1
jwcal info "$rate" >&2
jwcal preview "$rate" -o rate.png --dq

step "simulate 4 dithered _cal exposures with WCS errors (GI02), an association and a reference catalog"
timed "simulate images" jwcal simulate images -o cal --nexposures 4 --seed 2
asn=$(ls cal/*.json)

step "stage 3: tweakreg (relative + absolute) | outlier | resample"
stage3() {
  jwcal tweakreg "$asn" --abs-refcat cal/refcat.ecsv \
    | jwcal outlier -o crf \
    | jwcal resample -o mosaic_i2d.fits
}
timed "stage 3 chain" stage3
jwcal info mosaic_i2d.fits >&2
jwcal preview mosaic_i2d.fits -o mosaic.png

step "done: $(pwd)"
ls -1 >&2

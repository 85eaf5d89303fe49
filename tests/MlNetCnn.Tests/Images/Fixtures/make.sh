#!/usr/bin/env bash
# Makes the JPEG fixtures SkiaSharp cannot write: a CMYK JPEG and a progressive JPEG of the same 48×32 picture as
# upright.png (four coloured quadrants). Run once with ImageMagick 6 (Debian: apt-get install imagemagick); the tests
# read the files committed beside this script and never run it.
set -euo pipefail
cd "$(dirname "$0")"
IM=/usr/bin/convert
$IM -size 48x32 xc:'rgb(230,220,30)' \
  -fill 'rgb(220,30,30)' -draw 'rectangle 0,0 23,15' \
  -fill 'rgb(30,200,40)' -draw 'rectangle 24,0 47,15' \
  -fill 'rgb(30,40,210)' -draw 'rectangle 0,16 23,31' \
  -fill white -draw 'rectangle 0,0 23,3' \
  -define png:color-type=2 upright.png
$IM upright.png -colorspace CMYK -quality 95 cmyk.jpg
$IM upright.png -interlace Plane -quality 95 progressive.jpg

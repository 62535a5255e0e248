#!/usr/bin/env bash
# A drag-to-Applications disk image of dist/"Stream Doctor.app" (built by packaging/streamdoctor.spec on macOS).
#   packaging/macos/make_dmg.sh VERSION            -> dist/StreamDoctor-VERSION-macos-ARCH.dmg
# With MACOS_CODESIGN_IDENTITY set (a "Developer ID Application: ..." identity in an unlocked keychain) the image is
# signed too, and with APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD (an app-specific password) it is notarised
# with notarytool and the ticket stapled. Without them those steps are skipped with a note: an unsigned image
# works for testing, Gatekeeper will ask users to confirm.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${1:?usage: make_dmg.sh VERSION}
app="dist/Stream Doctor.app"
[ -d "$app" ] || { echo "make_dmg: $app does not exist; build the spec first" >&2; exit 1; }
dmg="dist/StreamDoctor-${version}-macos-$(uname -m).dmg"
stage=build/dmg
rm -rf "$stage" "$dmg"
mkdir -p "$stage"
# ditto keeps the bundle's symlinks, extended attributes and signatures intact (cp -R may not).
ditto "$app" "$stage/Stream Doctor.app"
ln -s /Applications "$stage/Applications"
hdiutil create -volname "Stream Doctor" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"

if [ -n "${MACOS_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_CODESIGN_IDENTITY" "$dmg"
else
  echo "make_dmg: MACOS_CODESIGN_IDENTITY not set: the image is not signed"
fi
if [ -n "${MACOS_CODESIGN_IDENTITY:-}" ] && [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] \
   && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
  xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait
  xcrun stapler staple "$dmg"
  spctl --assess --type open --context context:primary-signature -v "$dmg"
else
  echo "make_dmg: notarisation skipped (needs MACOS_CODESIGN_IDENTITY, APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD)"
fi
hdiutil verify "$dmg"
echo "$dmg"

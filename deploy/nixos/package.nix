# The Homeport release tarball (`npm run release`) as a Nix package, for services.homeport.package:
#
#   pkgs.callPackage ./deploy/nixos/package.nix { src = ./homeport-0.1.0-linux-x64.tar.gz; }
#
# Nothing is built: the tarball holds the bundle, the web UI and node_modules with native addons compiled for
# glibc Linux; autoPatchelfHook points those addons at this system's libstdc++ and glibc. `nodejs` must be the
# major the release was built with (its INSTALL names it).
{
  lib,
  stdenv,
  autoPatchelfHook,
  nodejs_20,
  src,
  nodejs ? nodejs_20,
  version ?
    let
      parts = builtins.match ".*homeport-([0-9][^-]*)-linux-.*" (baseNameOf (toString src));
    in
    if parts == null then
      throw "package.nix: name the tarball homeport-<version>-linux-<arch>.tar.gz, or pass version"
    else
      builtins.head parts,
}:
stdenv.mkDerivation {
  pname = "homeport";
  inherit src version;

  nativeBuildInputs = [ autoPatchelfHook ];
  buildInputs = [ stdenv.cc.cc.lib ];

  dontConfigure = true;
  dontBuild = true;
  installPhase = ''
    runHook preInstall
    mkdir -p $out
    cp -r . $out/
    # The launcher runs the `node` on PATH; from the store it runs this one.
    substituteInPlace $out/bin/homeport --replace-fail 'node=node' 'node=${nodejs}/bin/node'
    runHook postInstall
  '';

  doInstallCheck = true;
  installCheckPhase = ''
    $out/bin/homeport --version
  '';

  meta = {
    description = "Self-hosted control plane: accounts, storage (WebDAV), encrypted rooms, container deploys";
    platforms = [
      "x86_64-linux"
      "aarch64-linux"
    ];
    mainProgram = "homeport";
  };
}

# The f2bc package: installs the dependencies package-lock.json pins (no hash
# to maintain by hand), runs `npm run build`, installs dist/ with a wrapper.
{
  lib,
  stdenv,
  buildNpmPackage,
  importNpmLock,
  nodejs_22,
  makeWrapper,
  installShellFiles,
}:
let
  f2bcLib = import ./lib.nix;
  root = ../.;
  packageJson = lib.importJSON (root + "/package.json");
  # Node 20 is the oldest f2bc supports, but it reached end of life in April
  # 2026 and nixpkgs drops Node releases at their end of life; 22 is the
  # oldest LTS line nixpkgs still carries. dist/ targets node20, so it runs on both.
  nodejs = nodejs_22;
in
buildNpmPackage {
  pname = packageJson.name;
  inherit (packageJson) version;
  inherit nodejs;

  # Only what `npm ci && npm run build` reads: editing docs or tests does not rebuild.
  src = f2bcLib.source root;

  # One fixed-output fetch per tarball, each pinned by its integrity hash in
  # package-lock.json. The lock has no `resolved` URLs (npm's
  # omit-lockfile-registry-resolved), so they are filled in from the registry's layout.
  npmDeps = importNpmLock {
    npmRoot = root;
    package = packageJson;
    packageLock = f2bcLib.withRegistryResolved (lib.importJSON (root + "/package-lock.json"));
  };
  npmConfigHook = importNpmLock.npmConfigHook;
  # No install script is needed to build: esbuild finds its platform package
  # (@esbuild/linux-*) without its postinstall, and nothing is compiled.
  npmRebuildFlags = [ "--ignore-scripts" ];

  # `npm run build` (scripts/build.mjs) writes dist/.
  npmBuildScript = "build";

  nativeBuildInputs = [
    makeWrapper
    installShellFiles
  ];

  # dist/ is self-contained (esbuild bundles every dependency), so node_modules
  # is not installed: the closure is node and dist/.
  installPhase = ''
    runHook preInstall
    mkdir -p $out/lib/f2bc
    cp -r dist $out/lib/f2bc/
    makeWrapper ${lib.getExe nodejs} $out/bin/f2bc --add-flags $out/lib/f2bc/dist/f2bc.js
    runHook postInstall
  '';

  # The completion scripts come from the built CLI itself (`f2bc --completions SHELL`).
  postInstall = lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    installShellCompletion --cmd f2bc \
      --bash <($out/bin/f2bc --completions bash) \
      --zsh <($out/bin/f2bc --completions zsh) \
      --fish <($out/bin/f2bc --completions fish)
  '';

  # The test suite drives real processes over loopback, fail2ban and
  # nats-server: `npm test` in the dev shell, not in the build sandbox. The
  # installed program must at least start and know its version.
  doInstallCheck = true;
  installCheckPhase = ''
    runHook preInstallCheck
    [ "$($out/bin/f2bc --version)" = "${packageJson.version}" ]
    runHook postInstallCheck
  '';

  meta = {
    description = packageJson.description;
    license = lib.licenses.mit;
    mainProgram = "f2bc";
    platforms = lib.platforms.linux;
  };
}

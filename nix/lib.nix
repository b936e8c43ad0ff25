# The pure logic of the flake and the NixOS module: builtins only, no nixpkgs,
# so that test/packaging/nix.test.ts can evaluate it with nix-instantiate alone.
let
  inherit (builtins)
    attrNames
    concatLists
    concatMap
    elem
    elemAt
    filter
    genList
    head
    isAttrs
    isList
    isPath
    isString
    length
    mapAttrs
    match
    removeAttrs
    split
    stringLength
    substring
    toJSON
    ;

  hasPrefix = prefix: text: substring 0 (stringLength prefix) text == prefix;

  # "servers[0].channels" + "secret_file", for messages that point at a setting.
  child = at: name: if at == "" then name else "${at}.${name}";

  # Every value stored under an attribute named `key`, anywhere in `value`,
  # with where it is: [ { at = "servers[0].channels[1].secret_file"; value = …; } ].
  findKey =
    key: at: value:
    if isAttrs value then
      concatMap (
        name:
        (if name == key then [ { at = child at name; value = value.${name}; } ] else [ ])
        ++ findKey key (child at name) value.${name}
      ) (attrNames value)
    else if isList value then
      concatLists (genList (i: findKey key "${at}[${toString i}]" (elemAt value i)) (length value))
    else
      [ ];

  # A secret_file is one path or a list of them (rotation): one entry per path.
  eachPath =
    entry:
    if isList entry.value then
      genList (i: {
        at = "${entry.at}[${toString i}]";
        value = elemAt entry.value i;
      }) (length entry.value)
    else
      [ entry ];

  secretPathProblem =
    at: value:
    if isPath value then
      [
        "${at}: ${toString value} is a Nix path, so it would be copied into the Nix store, which every user can read; give the path of a secret outside the store as a string"
      ]
    else if !(isString value) then
      [ "${at}: expected the path of a secret file as a string" ]
    else if hasPrefix "/nix/store/" value then
      [
        "${at}: ${value} is in the Nix store, which every user can read (f2bc would refuse it); use a file outside it, e.g. from agenix or sops-nix"
      ]
    else if !(hasPrefix "/" value) then
      [
        "${at}: ${value} must be an absolute path (the rendered config lives in the Nix store, so a relative path would point there)"
      ]
    else
      [ ];

  # pid_file, control_socket and log_file must be where the sandboxed unit may write.
  writableProblem =
    settings: key: directory: what:
    if settings ? ${key} && settings.${key} != null && !(hasPrefix directory (toString settings.${key})) then
      [
        "services.f2bc.settings.${key}: ${toString settings.${key}} is outside ${directory}, ${what}: the service cannot write anywhere else (ProtectSystem=strict)"
      ]
    else
      [ ];

  # npm's registry layout: @scope/name -> …/@scope/name/-/name-1.2.3.tgz.
  registryTarball =
    name: version:
    let
      base = match ".*/([^/]+)" name;
    in
    "https://registry.npmjs.org/${name}/-/${if base == null then name else head base}-${version}.tgz";

  # The package a package-lock.json entry installs: its `name` (npm aliases), else the last
  # node_modules/ segment of its path.
  packageNameAt =
    lockPath: entry:
    if entry ? name then
      entry.name
    else
      let
        m = match ".*node_modules/(@[^/]+/[^/]+|[^/@][^/]*)" lockPath;
      in
      if m == null then throw "package-lock.json: cannot tell the package name of \"${lockPath}\"" else head m;

  # Entries npm fetches from the registry: not the root, not links, not bundled in a parent.
  fetched =
    lockPath: entry:
    lockPath != "" && !(entry.link or false) && !(entry.inBundle or false) && entry ? version;
in
rec {
  # Where the NixOS module puts things. configPath is the CLI's default config
  # (so `f2bc publish` from fail2ban's action and `f2bc daemon status` find it).
  configPath = "/etc/fail2ban-cluster.yml";
  runtimeDirectory = "f2bc";
  pidFile = "/run/f2bc/f2bc.pid";
  logsDirectory = "f2bc";

  # NixOS convention: an attribute set to null is unset, so it is left out of
  # the config (write `broker = { }` for the broker with all defaults).
  withoutNulls =
    value:
    if isAttrs value then
      mapAttrs (_: withoutNulls) (removeAttrs value (filter (name: value.${name} == null) (attrNames value)))
    else if isList value then
      map withoutNulls value
    else
      value;

  # The settings the daemon reads: pid_file is the unit's (so that `f2bc daemon
  # status|reload` run from a shell find the daemon and its control socket).
  # (_module: the module system's own attribute, should a caller pass one.)
  daemonSettings = settings: { pid_file = pidFile; } // withoutNulls (removeAttrs settings [ "_module" ]);

  # The config file's text. JSON is YAML, and f2bc reads the file with a YAML parser.
  renderConfig = settings: toJSON (daemonSettings settings) + "\n";

  # systemd's stop timeout: shutdown_timeout (default 10 s), then the 5 s kill
  # grace of the actions left, then a margin: 30 s for the default.
  stopTimeoutSec =
    settings:
    let
      shutdown = settings.shutdown_timeout or null;
    in
    builtins.ceil (if shutdown == null then 10 else shutdown) + 20;

  # Every secret_file in the settings, one entry per path: [ { at; value; } ].
  secretFileEntries = settings: concatMap eachPath (findKey "secret_file" "services.f2bc.settings" settings);

  # What is wrong with the module's options, as messages for NixOS assertions.
  # useSettings: the config is rendered from settings (no configFile).
  problems =
    {
      settings,
      secretFiles,
      useSettings,
    }:
    let
      servers = settings.servers or null;
    in
    (
      if !useSettings then
        [ ]
      else
        (
          if !(isList servers) || servers == [ ] then
            [
              "services.f2bc.settings.servers: list at least one server (or set services.f2bc.configFile)"
            ]
          else
            [ ]
        )
        ++ (
          if settings ? pid_file && settings.pid_file != null && settings.pid_file != pidFile then
            [
              "services.f2bc.settings.pid_file: leave it unset; the service runs the daemon with --pid-file ${pidFile} (in its RuntimeDirectory)"
            ]
          else
            [ ]
        )
        ++ writableProblem settings "control_socket" "/run/${runtimeDirectory}/" "the service's RuntimeDirectory"
        ++ writableProblem settings "log_file" "/var/log/${logsDirectory}/" "the service's LogsDirectory"
        ++ concatMap (entry: secretPathProblem entry.at entry.value) (secretFileEntries settings)
    )
    ++ concatMap (name: secretPathProblem "services.f2bc.secretFiles.${name}" secretFiles.${name}) (
      attrNames secretFiles
    );

  # The files `npm ci && npm run build` needs; anything else (docs, tests, dist/,
  # node_modules/) would only cause rebuilds.
  sourceFiles = [
    "package.json"
    "package-lock.json"
    "tsconfig.json"
  ];
  sourceDirectories = [
    "scripts"
    "src"
  ];
  sourceFilter =
    root: path: _type:
    let
      rel = substring (stringLength (toString root) + 1) (stringLength (toString path)) (toString path);
    in
    elem rel sourceFiles || elem (head (split "/" rel)) sourceDirectories;
  source =
    root:
    builtins.path {
      path = root;
      name = "f2bc-source";
      filter = sourceFilter root;
    };

  inherit registryTarball packageNameAt;

  # package-lock.json as importNpmLock needs it: every fetched entry with a
  # `resolved` URL. npm leaves it out under omit-lockfile-registry-resolved
  # (this repository's lock has none); the integrity hash stays the check.
  withRegistryResolved =
    lock:
    lock
    // {
      packages = mapAttrs (
        lockPath: entry:
        if fetched lockPath entry && !(entry ? resolved) then
          entry // { resolved = registryTarball (packageNameAt lockPath entry) entry.version; }
        else
          entry
      ) lock.packages;
    };

  # Fetched entries Nix could not fetch: no integrity hash to pin the tarball.
  lockProblems =
    lock:
    filter (lockPath: fetched lockPath lock.packages.${lockPath} && !(lock.packages.${lockPath} ? integrity)) (
      attrNames lock.packages
    );
}

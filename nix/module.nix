# NixOS module: services.f2bc runs `f2bc daemon run` as a hardened systemd
# service, with the config rendered from Nix settings (docs/packaging.md).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.f2bc;
  f2bcLib = import ./lib.nix;
  inherit (lib) types mkOption;

  settingsFormat = pkgs.formats.json { };

  # JSON is YAML: f2bc reads it as its YAML config. A store file is root-owned
  # and mode 0444, which passes f2bc's permission check (no secret in it: the
  # settings only name secret files).
  configFile =
    if cfg.configFile != null then
      cfg.configFile
    else
      pkgs.writeText "fail2ban-cluster.yml" (f2bcLib.renderConfig cfg.settings);

  exe = lib.getExe cfg.package;
  pidFile = f2bcLib.pidFile;

  # Actions that change the firewall themselves need what fail2ban-client does not.
  firewallService = {
    # iptables, ipset and nft configure netfilter: CAP_NET_ADMIN, and raw sockets for some matches.
    CapabilityBoundingSet = "CAP_NET_ADMIN CAP_NET_RAW";
    AmbientCapabilities = "";
    # They talk to the kernel over netlink.
    RestrictAddressFamilies = "AF_UNIX AF_INET AF_INET6 AF_NETLINK";
    # iptables takes /run/xtables.lock (created below) before changing a table.
    ReadWritePaths = [ "-/run/xtables.lock" ];
  };
in
{
  options.services.f2bc = {
    enable = lib.mkEnableOption "f2bc, which shares fail2ban bans across a fleet of servers";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalMD "the f2bc flake's package (built with this system's nixpkgs when the module is imported without the flake)";
      description = "The f2bc package to run.";
    };

    settings = mkOption {
      type = types.submodule { freeformType = settingsFormat.type; };
      default = { };
      example = lib.literalExpression ''
        {
          node_name = "web1";
          servers = [
            {
              host = "hub.example.com";
              port = 1986;
              channels = [
                {
                  name = "Fail2ban";
                  action = "fail2ban-client set %jail% %action% %ip%";
                  secret_file = config.age.secrets.f2bc-fail2ban.path;
                }
              ];
              filter = [ { key = "action"; values = [ "banip" "unbanip" ]; } ];
            }
          ];
        }
      '';
      description = ''
        The f2bc config (docs/configuration.md), written to
        /etc/fail2ban-cluster.yml, the file every `f2bc` command reads by
        default. An attribute set to null is left out. `pid_file` is the
        service's, /run/f2bc/f2bc.pid; `control_socket` must stay in /run/f2bc
        and `log_file` in /var/log/f2bc (without it, logs go to the journal).
        Secret files are named by absolute paths outside the Nix store, as
        strings (see secretFiles).
      '';
    };

    configFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/etc/f2bc/hand-written.yml";
      description = ''
        A config file to use instead of settings. It is linked from
        /etc/fail2ban-cluster.yml; it must be owned by root and not writable
        by group or others, or f2bc refuses to start.
      '';
    };

    secretFiles = mkOption {
      type = types.attrsOf types.str;
      default = { };
      example = lib.literalExpression ''{ fail2ban = config.age.secrets.f2bc-fail2ban.path; }'';
      description = ''
        The channel secrets, by name: absolute paths of files outside the Nix
        store (agenix, sops-nix, or a file you install owned by root, mode
        0600). Refer to them in settings as
        `secret_file = config.services.f2bc.secretFiles.NAME;`. They are read
        in place, not copied, so that `f2bc publish` run by fail2ban can sign
        with the same path while the service is stopped; the module checks
        they are not in the store and has the service wait for the file
        systems that hold them.
      '';
    };

    onConfigChange = mkOption {
      type = types.enum [
        "reload"
        "restart"
      ];
      default = "reload";
      description = ''
        What a nixos-rebuild that changes the config does to a running
        daemon. "reload" keeps it running (no ban published meanwhile is
        missed) and applies most keys; broker, log_level, log_file,
        control_socket, metrics, queue_limit, concurrency and
        dedupe_max_entries then wait for the next restart (the daemon logs
        which). "restart" applies everything, after the actions in flight
        finish, and misses what is published while it is down.
      '';
    };

    firewallActions = lib.mkEnableOption ''
      actions that change the firewall themselves (iptables, ipset, nft)
      rather than through fail2ban-client: grants CAP_NET_ADMIN and
      CAP_NET_RAW, netlink sockets and iptables' lock file. Add the tools to
      extraPackages'';

    extraPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
      example = lib.literalExpression "[ pkgs.ipset ]";
      description = "Packages on the PATH of the actions, besides fail2ban (for fail2ban-client).";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = map (message: {
      assertion = false;
      inherit message;
    }) (f2bcLib.problems {
      inherit (cfg) settings secretFiles;
      useSettings = cfg.configFile == null;
    });

    # Every f2bc command (publish from fail2ban's action, check, daemon
    # status|reload) reads this file by default.
    environment.etc."fail2ban-cluster.yml".source = configFile;
    environment.systemPackages = [ cfg.package ];

    systemd.tmpfiles.rules = lib.optional cfg.firewallActions "f /run/xtables.lock 0600 root root -";

    # Mirrors contrib/systemd/f2bc.service (docs/packaging.md explains each line);
    # test/packaging/nix.test.ts checks they agree.
    systemd.services.f2bc = {
      description = "f2bc: share fail2ban bans across the fleet";
      after = [
        "network-online.target"
        "fail2ban.service"
      ];
      wants = [ "network-online.target" ];
      wantedBy = [ "multi-user.target" ];
      # fail2ban-client, for the usual action.
      path = [ config.services.fail2ban.package ] ++ cfg.extraPackages;

      # The unit reads /etc/fail2ban-cluster.yml, so a new config does not
      # change the unit itself: these tell nixos-rebuild to reload or restart.
      reloadTriggers = lib.optional (cfg.onConfigChange == "reload") configFile;
      restartTriggers = lib.optional (cfg.onConfigChange == "restart") configFile;

      unitConfig = lib.optionalAttrs (cfg.secretFiles != { }) {
        RequiresMountsFor = lib.attrValues cfg.secretFiles;
      };

      serviceConfig = {
        Type = "exec";
        ExecStart = "${exe} daemon run --config ${f2bcLib.configPath} --pid-file ${pidFile}";
        ExecReload = "${exe} daemon reload --pid-file ${pidFile}";
        RuntimeDirectory = f2bcLib.runtimeDirectory;
        # /var/lib/f2bc (0700): state_dir's default, the outbox of `publish` hand-offs.
        StateDirectory = "f2bc";
        StateDirectoryMode = "0700";
        LogsDirectory = f2bcLib.logsDirectory;
        KillMode = "mixed";
        TimeoutStopSec = "${toString (f2bcLib.stopTimeoutSec cfg.settings)}s";
        Restart = "on-failure";
        RestartSec = "5s";
        RestartPreventExitStatus = 2;

        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        NoNewPrivileges = true;
        CapabilityBoundingSet = "";
        AmbientCapabilities = "";
        RestrictAddressFamilies = "AF_UNIX AF_INET AF_INET6";
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        ProtectProc = "invisible";
        PrivateMounts = true;
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        SystemCallArchitectures = "native";
        SystemCallFilter = [
          "@system-service"
          "~@privileged"
        ];
        SystemCallErrorNumber = "EPERM";
        # Not MemoryDenyWriteExecute: V8's JIT needs writable, executable memory.
      }
      // lib.optionalAttrs cfg.firewallActions firewallService;
    };
  };
}

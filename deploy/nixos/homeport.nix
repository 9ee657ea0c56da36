# NixOS module for Homeport: `services.homeport` (the control plane, with its embedded storage agent) and
# `services.homeport.agent` (a machine that only shares folders with a control plane elsewhere), sandboxed like
# deploy/systemd/*.service, and an nginx virtual host with a Let's Encrypt certificate in front.
#
#   imports = [ ./homeport/deploy/nixos/homeport.nix ];
#   services.homeport = {
#     enable = true;
#     package = pkgs.callPackage ./homeport/deploy/nixos/package.nix { src = ./homeport-0.1.0-linux-x64.tar.gz; };
#     domain = "homeport.example.org";                 # nginx + ACME (security.acme.acceptTerms, defaults.email)
#     secretFiles.HOMEPORT_ADMIN_PASSWORD = "/etc/homeport/admin-password";
#   };
#
# Settings go to a YAML file in the store (HOMEPORT_CONFIG), which every local user can read: secrets go in
# `secretFiles` (read through systemd credentials) or `environmentFile`, never in `settings`.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.homeport;
  agentCfg = cfg.agent;
  yaml = pkgs.formats.yaml { };

  # What systemd waits beyond Homeport's own shutdown bound before SIGKILL (as service-units.ts).
  stopMarginSeconds = 20;

  # Exported folders under /home or /root need the home folders visible (as service-units.ts).
  underHome = paths: lib.any (path: lib.hasPrefix "/home" path || lib.hasPrefix "/root" path) paths;

  # The sandbox both units share (the same keys as deploy/systemd/homeport.service).
  # MemoryDenyWriteExecute is left out: V8's JIT writes the code it runs.
  hardening = writable: {
    UMask = "0077";
    ProtectSystem = "strict";
    ReadWritePaths = writable;
    ProtectHome = if underHome writable then "no" else "yes";
    PrivateTmp = true;
    PrivateDevices = true;
    NoNewPrivileges = true;
    ProtectKernelTunables = true;
    ProtectKernelModules = true;
    ProtectKernelLogs = true;
    ProtectControlGroups = true;
    ProtectClock = true;
    ProtectHostname = true;
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    LockPersonality = true;
    RemoveIPC = true;
    RestrictAddressFamilies = [
      "AF_UNIX"
      "AF_INET"
      "AF_INET6"
    ];
    SystemCallArchitectures = "native";
    # No capabilities: ports above 1024 behind nginx, files the service owns.
    CapabilityBoundingSet = "";
    AmbientCapabilities = "";
    LimitNOFILE = 65536;
    KillSignal = "SIGTERM";
    Restart = "on-failure";
    RestartSec = 2;
  };

  # A state folder under /var/lib is systemd's StateDirectory (made and owned for the service); elsewhere a
  # tmpfiles rule makes it.
  stateDirectory =
    dir: if lib.hasPrefix "/var/lib/" dir then { StateDirectory = lib.removePrefix "/var/lib/" dir; } else { };
  tmpfilesRule =
    dir: user: lib.optional (!(lib.hasPrefix "/var/lib/" dir)) "d ${dir} 0700 ${user} ${user} - -";

  # The start command, after each secret file was read into its variable from the copy systemd made for the
  # service (LoadCredential=): the files may stay root-only, and no value reaches the store, the unit or a
  # command line. `$(< file)` drops the trailing newline an editor leaves.
  startScript =
    name: secretFiles: command:
    pkgs.writeShellScript name ''
      set -eu
      ${lib.concatStrings (
        lib.mapAttrsToList (variable: _: ''
          ${variable}="$(< "$CREDENTIALS_DIRECTORY/${variable}")"
          export ${variable}
        '') secretFiles
      )}exec ${command}
    '';

  loadCredentials = secretFiles: lib.mapAttrsToList (variable: file: "${variable}:${file}") secretFiles;

  checkSecretNames =
    what: secretFiles:
    map (variable: {
      assertion = builtins.match "[A-Z_][A-Z0-9_]*" variable != null;
      message = "${what}.secretFiles: ${variable} is not an environment variable name";
    }) (lib.attrNames secretFiles);

  port = toString cfg.settings.port;
  davPort = toString (cfg.settings.agent.davPort or 8090);
  upstream = "http://127.0.0.1:${port}";

  secretFilesOption =
    example:
    lib.mkOption {
      type = lib.types.attrsOf lib.types.str;
      default = { };
      inherit example;
      description = ''
        Environment variables whose value is read from a file when the service starts (a systemd credential:
        the file may be readable by root only). Paths outside the Nix store, as strings.
      '';
    };

  environmentFileOption = lib.mkOption {
    type = lib.types.nullOr lib.types.str;
    default = null;
    example = "/etc/homeport/homeport.env";
    description = "A file of KEY=value lines (systemd EnvironmentFile=), outside the Nix store.";
  };

  nodejsOption = lib.mkOption {
    type = lib.types.package;
    default = pkgs.nodejs_20;
    description = ''
      Node.js that runs the bundle: the major the release was built with (its better-sqlite3 addon), at
      least 20.19.
    '';
  };
in
{
  options.services.homeport = {
    enable = lib.mkEnableOption "Homeport, a self-hosted control plane (accounts, storage, rooms, deploys)";

    package = lib.mkOption {
      type = lib.types.package;
      description = ''
        The unpacked release tarball (bin/homeport, dist/, web/, node_modules/), e.g.
        `pkgs.callPackage ./deploy/nixos/package.nix { src = ./homeport-<version>-linux-x86_64.tar.gz; }`.
      '';
    };

    nodejs = nodejsOption;

    natsServer = lib.mkOption {
      type = lib.types.nullOr lib.types.package;
      default = pkgs.nats-server;
      description = ''
        nats-server that Homeport runs and supervises for rooms and KV (`nats.serverBin`); null leaves it to
        `settings.nats` (an external server, or none).
      '';
    };

    dataDir = lib.mkOption {
      type = lib.types.str;
      default = "/var/lib/homeport";
      description = "Database, generated secrets and the embedded agent's files (mode 0700).";
    };

    user = lib.mkOption {
      type = lib.types.str;
      default = "homeport";
      description = "System account the service runs as (created).";
    };

    writablePaths = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "/srv/photos" ];
      description = "Folders the service may write besides the data dir: exported folders (`settings.agent.exports`).";
    };

    docker = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Add the docker group, for the deploy module (virtualisation.docker.enable).";
    };

    shutdownTimeoutSeconds = lib.mkOption {
      type = lib.types.ints.positive;
      default = 10;
      description = "How long a graceful stop may take (HOMEPORT_SHUTDOWN_TIMEOUT); systemd waits 20 s more.";
    };

    settings = lib.mkOption {
      type = lib.types.submodule {
        freeformType = yaml.type;
        options = {
          port = lib.mkOption {
            type = lib.types.port;
            default = 8080;
            description = "Port of the web UI and API.";
          };
          bind = lib.mkOption {
            type = lib.types.str;
            default = "127.0.0.1";
            description = "Listen address; keep loopback behind nginx (anything else needs TLS in Homeport).";
          };
        };
      };
      default = { };
      example = {
        modules = "accounts,nas";
        accounts.registrationEnabled = false;
        agent.exports = [ "/srv/photos:Photos" ];
      };
      description = ''
        Homeport's configuration file (YAML, HOMEPORT_CONFIG): the keys of the "config file key" column of the
        README's configuration reference, nested (`accounts.sessionTtl` is `accounts = { sessionTtl = …; }`).
        A key Homeport does not know stops it at start with a message naming it.
      '';
    };

    secretFiles = secretFilesOption {
      HOMEPORT_ADMIN_PASSWORD = "/etc/homeport/admin-password";
      HOMEPORT_SECRET_KEY = "/etc/homeport/secret-key";
    };

    environmentFile = environmentFileOption;

    domain = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "homeport.example.org";
      description = ''
        Serve Homeport at https://<domain> through nginx with a Let's Encrypt certificate (ACME needs
        security.acme.acceptTerms and security.acme.defaults.email). Sets `publicUrl` and `trustProxy`.
      '';
    };

    davDomain = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "files.homeport.example.org";
      description = ''
        Serve the embedded agent's WebDAV (mounts, browser uploads and downloads) at https://<davDomain> through
        nginx, and advertise that address to clients (`agent.advertiseUrl`).
      '';
    };

    agent = {
      enable = lib.mkEnableOption "a Homeport storage agent (`homeport agent`) for a control plane elsewhere";

      package = lib.mkOption {
        type = lib.types.package;
        default = cfg.package;
        defaultText = lib.literalExpression "config.services.homeport.package";
        description = "The unpacked release the agent runs.";
      };

      nodejs = nodejsOption;

      stateDir = lib.mkOption {
        type = lib.types.str;
        default = "/var/lib/homeport-agent";
        description = "The agent's machine id, node token, keys, locks and properties (mode 0700).";
      };

      user = lib.mkOption {
        type = lib.types.str;
        default = "homeport-agent";
        description = "System account the agent runs as (created); it must be able to write the exported folders.";
      };

      shutdownTimeoutSeconds = lib.mkOption {
        type = lib.types.ints.positive;
        default = 10;
        description = "How long a graceful stop may take; systemd waits 20 s more.";
      };

      controlPlaneUrl = lib.mkOption {
        type = lib.types.str;
        example = "https://homeport.example.org";
        description = "The control plane the agent registers with (`agent.controlPlaneUrl`).";
      };

      exports = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        example = [ "/srv/photos:Photos" ];
        description = "Folders to export, `path[:label]` (`agent.exports`); each becomes writable for the service.";
      };

      settings = lib.mkOption {
        type = lib.types.submodule { freeformType = yaml.type; };
        default = { };
        example = {
          agent.listen = "127.0.0.1:8090";
          agent.advertiseUrl = "https://nas1.example.org";
        };
        description = ''
          The agent's configuration file (HOMEPORT_CONFIG): `agent.*` keys of the configuration reference.
        '';
      };

      secretFiles = secretFilesOption {
        HOMEPORT_NODE_BOOTSTRAP_TOKEN = "/etc/homeport/node-bootstrap-token";
      };

      environmentFile = environmentFileOption;
    };
  };

  config = lib.mkMerge [
    (lib.mkIf cfg.enable {
      assertions = checkSecretNames "services.homeport" cfg.secretFiles;

      services.homeport.settings = {
        shutdownTimeout = lib.mkDefault "${toString cfg.shutdownTimeoutSeconds}s";
        nats = lib.mkIf (cfg.natsServer != null) { serverBin = lib.mkDefault "${cfg.natsServer}/bin/nats-server"; };
        publicUrl = lib.mkIf (cfg.domain != null) (lib.mkDefault "https://${cfg.domain}");
        # nginx on this machine is the only proxy, and Homeport listens on loopback only.
        trustProxy = lib.mkIf (cfg.domain != null) (lib.mkDefault [
          "127.0.0.1"
          "::1"
        ]);
        agent.advertiseUrl = lib.mkIf (cfg.davDomain != null) (lib.mkDefault "https://${cfg.davDomain}");
      };

      # `homeport user reset-password admin --data-dir …` and the other commands, for the administrator.
      environment.systemPackages = [ cfg.package ];

      users.users.${cfg.user} = {
        isSystemUser = true;
        group = cfg.user;
        home = cfg.dataDir;
      };
      users.groups.${cfg.user} = { };
      systemd.tmpfiles.rules = tmpfilesRule cfg.dataDir cfg.user;

      systemd.services.homeport = {
        description = "Homeport control plane (accounts, storage, rooms, deploys)";
        after = [ "network-online.target" ];
        wants = [ "network-online.target" ];
        wantedBy = [ "multi-user.target" ];
        environment.HOMEPORT_CONFIG = "${yaml.generate "homeport.yaml" cfg.settings}";
        serviceConfig =
          hardening ([ cfg.dataDir ] ++ cfg.writablePaths)
          // stateDirectory cfg.dataDir
          // {
            Type = "exec";
            ExecStart = startScript "homeport-start" cfg.secretFiles "${cfg.nodejs}/bin/node ${cfg.package}/dist/homeport.js start --data-dir ${cfg.dataDir}";
            User = cfg.user;
            Group = cfg.user;
            SupplementaryGroups = lib.optional cfg.docker "docker";
            StateDirectoryMode = "0700";
            WorkingDirectory = cfg.dataDir;
            TimeoutStopSec = cfg.shutdownTimeoutSeconds + stopMarginSeconds;
            LoadCredential = loadCredentials cfg.secretFiles;
            EnvironmentFile = lib.optional (cfg.environmentFile != null) cfg.environmentFile;
          };
      };

      services.nginx = lib.mkIf (cfg.domain != null || cfg.davDomain != null) {
        enable = true;
        virtualHosts = lib.mkMerge [
          (lib.mkIf (cfg.domain != null) {
            ${cfg.domain} = {
              enableACME = true;
              forceSSL = true;
              locations."/" = {
                proxyPass = upstream;
                recommendedProxySettings = true;
              };
              # The live event stream: nothing held back in nginx's buffers, and no timeout between the
              # heartbeats (room streams are unbuffered too: Homeport sends X-Accel-Buffering: no).
              locations."/api/v1/events" = {
                proxyPass = upstream;
                recommendedProxySettings = true;
                extraConfig = ''
                  proxy_buffering off;
                  proxy_cache off;
                  proxy_read_timeout 1h;
                '';
              };
            };
          })
          (lib.mkIf (cfg.davDomain != null) {
            ${cfg.davDomain} = {
              enableACME = true;
              forceSSL = true;
              # Uploads stream through to the agent, which bounds and checks them itself.
              locations."/" = {
                proxyPass = "http://127.0.0.1:${davPort}";
                recommendedProxySettings = true;
                extraConfig = ''
                  client_max_body_size 0;
                  proxy_request_buffering off;
                  proxy_buffering off;
                  proxy_read_timeout 1h;
                  proxy_send_timeout 1h;
                '';
              };
            };
          })
        ];
      };
    })

    (lib.mkIf agentCfg.enable {
      assertions = checkSecretNames "services.homeport.agent" agentCfg.secretFiles;

      services.homeport.agent.settings = {
        shutdownTimeout = lib.mkDefault "${toString agentCfg.shutdownTimeoutSeconds}s";
        agent = {
          inherit (agentCfg) controlPlaneUrl exports;
          stateDir = lib.mkDefault agentCfg.stateDir;
        };
      };

      users.users.${agentCfg.user} = {
        isSystemUser = true;
        group = agentCfg.user;
        home = agentCfg.stateDir;
      };
      users.groups.${agentCfg.user} = { };
      systemd.tmpfiles.rules = tmpfilesRule agentCfg.stateDir agentCfg.user;

      systemd.services.homeport-agent = {
        description = "Homeport storage agent (serves exported folders over WebDAV)";
        after = [ "network-online.target" ];
        wants = [ "network-online.target" ];
        wantedBy = [ "multi-user.target" ];
        environment.HOMEPORT_CONFIG = "${yaml.generate "homeport-agent.yaml" agentCfg.settings}";
        serviceConfig =
          hardening (
            [ agentCfg.stateDir ]
            ++ map (export: builtins.head (lib.splitString ":" export)) agentCfg.exports
          )
          // stateDirectory agentCfg.stateDir
          // {
            Type = "exec";
            ExecStart = startScript "homeport-agent-start" agentCfg.secretFiles "${agentCfg.nodejs}/bin/node ${agentCfg.package}/dist/homeport.js agent";
            User = agentCfg.user;
            Group = agentCfg.user;
            StateDirectoryMode = "0700";
            WorkingDirectory = agentCfg.stateDir;
            TimeoutStopSec = agentCfg.shutdownTimeoutSeconds + stopMarginSeconds;
            LoadCredential = loadCredentials agentCfg.secretFiles;
            EnvironmentFile = lib.optional (agentCfg.environmentFile != null) agentCfg.environmentFile;
          };
      };
    })
  ];
}

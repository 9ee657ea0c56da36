# Evaluates deploy/nixos/homeport.nix without nixpkgs (not installable here: no network but npm and Debian):
# a stand-in for the few `lib` functions it uses and for the module system's merging — option defaults, then
# mkDefault, then plain definitions win (mkIf, mkMerge honoured; lists of equal priority are joined) — done in
# three passes, enough because the module's definitions of its own settings depend only on the user's options.
# `pkgs` packages are plain paths given by the test. The files the module writes to the store (its YAML config
# and start scripts) are reported on stderr as `trace: homeport-file {"path":…,"text":…}`: the test writes them.
#
#   nix-instantiate --eval --strict --json nixos-eval.nix --argstr configJson '{…}' --argstr outDir … \
#     --argstr nodejs /usr --argstr natsServer …
{
  configJson,
  outDir,
  nodejs,
  natsServer,
}:
let
  userConfig = builtins.fromJSON configJson;

  file =
    name: text:
    builtins.trace "homeport-file ${builtins.toJSON {
      path = "${outDir}/${name}";
      inherit text;
    }}" "${outDir}/${name}";

  pkgs = {
    formats.yaml = _: {
      type = "yaml";
      # JSON is YAML: Homeport's YAML parser reads it as the YAML nixpkgs would write.
      generate = name: value: file name (builtins.toJSON value);
    };
    writeShellScript = name: text: file name "#!/bin/bash\n${text}";
    nodejs_20 = nodejs;
    nats-server = natsServer;
  };

  lib = rec {
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable ${name}.";
    };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    types = {
      package = "package";
      str = "str";
      bool = "bool";
      port = "port";
      ints.positive = "positive integer";
      listOf = type: { listOf = type; };
      attrsOf = type: { attrsOf = type; };
      nullOr = type: { nullOr = type; };
      submodule = module: {
        _type = "submodule";
        options = module.options or { };
      };
    };
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    mkMerge = contents: {
      _type = "merge";
      inherit contents;
    };
    mkDefault = content: {
      _type = "override";
      priority = 1000;
      inherit content;
    };
    any = builtins.any;
    attrNames = builtins.attrNames;
    hasPrefix = prefix: text: builtins.substring 0 (builtins.stringLength prefix) text == prefix;
    removePrefix =
      prefix: text:
      if hasPrefix prefix text then
        builtins.substring (builtins.stringLength prefix) (builtins.stringLength text) text
      else
        text;
    optional = condition: item: if condition then [ item ] else [ ];
    concatStrings = builtins.concatStringsSep "";
    mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
    # A one-character separator without regex meaning is all the module splits on (":").
    splitString = separator: text: builtins.filter builtins.isString (builtins.split separator text);
  };

  isOption = value: builtins.isAttrs value && (value._type or null) == "option";

  # Option defaults, as definitions of the lowest priority (a submodule's options' too).
  defaults =
    path: options:
    builtins.concatLists (
      lib.mapAttrsToList (
        name: value:
        if isOption value then
          (if value ? default then
            [ { path = path ++ [ name ]; priority = 1500; value = value.default; } ]
          else
            [ ])
          ++ (if (value.type._type or null) == "submodule" then defaults (path ++ [ name ]) value.type.options else [ ])
        else
          defaults (path ++ [ name ]) value
      ) options
    );

  # Definitions as (path, priority, value) leaves; mkIf, mkMerge and mkDefault resolved on the way.
  flatten =
    path: priority: value:
    if builtins.isAttrs value && value ? _type then
      if value._type == "if" then
        (if value.condition then flatten path priority value.content else [ ])
      else if value._type == "merge" then
        builtins.concatMap (flatten path priority) value.contents
      else if value._type == "override" then
        flatten path value.priority value.content
      else
        [ { inherit path priority value; } ]
    else if builtins.isAttrs value && value != { } then
      builtins.concatLists (lib.mapAttrsToList (name: flatten (path ++ [ name ]) priority) value)
    else
      [ { inherit path priority value; } ];

  # One value per path: the definitions of the best priority (lists joined; anything else must agree).
  resolve =
    leaves:
    builtins.attrValues (
      builtins.mapAttrs (
        key: definitions:
        let
          best = builtins.foldl' (low: leaf: if leaf.priority < low then leaf.priority else low) 9999 definitions;
          winners = builtins.filter (leaf: leaf.priority == best) definitions;
          values = map (leaf: leaf.value) winners;
        in
        {
          path = (builtins.head winners).path;
          value =
            if builtins.length values == 1 then
              builtins.head values
            else if builtins.all builtins.isList values then
              builtins.concatLists values
            else if builtins.all (value: value == builtins.head values) values then
              builtins.head values
            else
              throw "conflicting definitions of ${key}";
        }
      ) (builtins.groupBy (leaf: builtins.toJSON leaf.path) leaves)
    );

  # Leaves back into nested attribute sets, lazily in the values (a default may read the config).
  unflatten =
    leaves:
    let
      here = builtins.filter (leaf: leaf.path == [ ]) leaves;
      below = builtins.filter (leaf: leaf.path != [ ]) leaves;
      groups = builtins.groupBy (leaf: builtins.head leaf.path) below;
    in
    if below == [ ] then
      (builtins.head here).value
    else
      (if here == [ ] then { } else (builtins.head here).value)
      // builtins.mapAttrs (
        _: group: unflatten (map (leaf: leaf // { path = builtins.tail leaf.path; }) group)
      ) groups;

  module = import ../../../../deploy/nixos/homeport.nix;
  evaluate =
    config:
    module {
      inherit config lib pkgs;
    };
  # The config from the user's definitions and the module's (from the previous pass); option defaults read
  # this same config (agent.package defaults to package), lazily.
  configFrom =
    definitions:
    let
      config = unflatten (
        resolve (defaults [ ] (evaluate config).options ++ flatten [ ] 100 userConfig ++ definitions)
      );
    in
    config;
  passes = builtins.foldl' (config: _: configFrom (flatten [ ] 100 (evaluate config).config)) (configFrom [ ]) [
    1
    2
  ];
  final = passes;
in
{
  failedAssertions = map (check: check.message) (
    builtins.filter (check: !check.assertion) (final.assertions or [ ])
  );
  settings = final.services.homeport.settings or null;
  agentSettings = final.services.homeport.agent.settings or null;
  services = final.systemd.services or { };
  tmpfiles = final.systemd.tmpfiles.rules or [ ];
  users = final.users or { };
  nginx = final.services.nginx or null;
  systemPackages = final.environment.systemPackages or [ ];
}

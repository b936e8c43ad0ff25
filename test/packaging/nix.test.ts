/**
 * The Nix packaging (issue 5) without nixpkgs: every .nix file parses; nix/lib.nix's pure logic renders a config
 * the real CLI accepts; the module and the flake, evaluated against stand-ins for nixpkgs, produce what they promise.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse as parseYaml } from "yaml"
import { describe, expect, it } from "vitest"
import { BIN, ROOT, tempDir } from "../support/harness.js"
import { unitSection } from "../support/unit.js"

// --- nix-instantiate, usable on a fresh machine -------------------------------------------------------------
// `--store dummy://` needs no /nix/store, no nix-daemon and no write access anywhere: without it, nix-instantiate
// (even --parse) opens the default store, which fails for a user who cannot reach the daemon socket. HOME and the
// XDG directories point at a scratch directory so that nothing is read from or written to the real home, and
// NIX_CONF_DIR at an empty one so that the machine's nix.conf (if any) changes nothing.
const nixHome = tempDir("f2bc-nix-home-")
const nixEnv: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: nixHome,
  NIX_CONF_DIR: path.join(nixHome, "etc"),
  XDG_CACHE_HOME: path.join(nixHome, "cache"),
  XDG_CONFIG_HOME: path.join(nixHome, "config"),
  XDG_DATA_HOME: path.join(nixHome, "data"),
  NIX_PATH: ""
}
delete nixEnv["NIX_REMOTE"]

const nixInstantiate = (args: ReadonlyArray<string>) =>
  spawnSync("nix-instantiate", ["--store", "dummy://", ...args], { cwd: ROOT, env: nixEnv, encoding: "utf8" })

/** Evaluates `expr` (relative paths are from the repository root) strictly and returns it as JSON. */
const evalJson = (expr: string): unknown => {
  const result = nixInstantiate(["--eval", "--strict", "--json", "--expr", expr])
  if (result.error) throw result.error
  if (result.status !== 0) throw new Error(`nix-instantiate failed (${result.status}):\n${result.stderr}\nexpression:\n${expr}`)
  return JSON.parse(result.stdout)
}

/** A JSON value as a Nix expression (JSON strings are read by builtins.fromJSON, so no escaping rules to get wrong). */
const nixValue = (value: unknown): string => {
  const file = path.join(tempDir("f2bc-nix-value-"), "value.json")
  fs.writeFileSync(file, JSON.stringify(value))
  return `(builtins.fromJSON (builtins.readFile ${file}))`
}

const lib = `(import ./nix/lib.nix)`

// --- Files ----------------------------------------------------------------------------------------------------

/** Every file under the repository, relative, skipping node_modules, dist and dot-directories (.git, .tmp). */
const repositoryFiles = (dir = ""): Array<{ rel: string; type: "directory" | "regular" }> =>
  fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = dir === "" ? entry.name : `${dir}/${entry.name}`
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) return []
      return [{ rel, type: "directory" as const }, ...repositoryFiles(rel)]
    }
    return entry.isFile() ? [{ rel, type: "regular" as const }] : []
  })

const nixFiles = repositoryFiles()
  .filter((f) => f.type === "regular" && f.rel.endsWith(".nix"))
  .map((f) => f.rel)

describe("every Nix file in the repository parses", () => {
  it("finds the flake and the files under nix/ (so the checks below are not vacuous)", () => {
    expect(nixFiles).toEqual(expect.arrayContaining(["flake.nix", "nix/lib.nix", "nix/module.nix", "nix/package.nix"]))
  })

  it.each(nixFiles)("nix-instantiate --parse %s exits 0", (file) => {
    const result = nixInstantiate(["--parse", file])
    expect(result.status, result.stderr).toBe(0)
  })

  it("a syntax error and an undefined name both fail --parse (what the check above relies on)", () => {
    const dir = tempDir("f2bc-nix-bad-")
    fs.writeFileSync(path.join(dir, "syntax.nix"), "{ a = ; }")
    fs.writeFileSync(path.join(dir, "undefined.nix"), "{ pkgs }: { a = pkgs.hello; b = lib.mkIf true 1; }")
    expect(nixInstantiate(["--parse", path.join(dir, "syntax.nix")]).status).not.toBe(0)
    const undefinedName = nixInstantiate(["--parse", path.join(dir, "undefined.nix")])
    expect(undefinedName.status).not.toBe(0)
    expect(undefinedName.stderr).toMatch(/undefined variable 'lib'/)
  })
})

// --- nix/lib.nix ----------------------------------------------------------------------------------------------

const settings = {
  node_name: "web1",
  shutdown_timeout: 2.5,
  metrics: null,
  servers: [
    {
      host: "hub.example.com",
      port: 1986,
      channels: [{ name: "Fail2ban", action: "fail2ban-client set %jail% %action% %ip%", timeout: null }],
      filter: [{ key: "action", values: ["banip", "unbanip"] }]
    }
  ]
}

const renderConfig = (value: unknown) => evalJson(`${lib}.renderConfig ${nixValue(value)}`) as string

describe("nix/lib.nix renders settings to the config file", () => {
  it("writes JSON that parses as YAML to the settings, with the unit's pid_file and without null attributes", () => {
    const text = renderConfig(settings)
    expect(parseYaml(text)).toEqual({
      pid_file: "/run/f2bc/f2bc.pid",
      node_name: "web1",
      shutdown_timeout: 2.5,
      servers: [
        {
          host: "hub.example.com",
          port: 1986,
          channels: [{ name: "Fail2ban", action: "fail2ban-client set %jail% %action% %ip%" }],
          filter: [{ key: "action", values: ["banip", "unbanip"] }]
        }
      ]
    })
  })

  it("produces a config `f2bc check` accepts, and the action it shows is the settings' action", () => {
    const dir = tempDir("f2bc-nix-config-")
    const file = path.join(dir, "fail2ban-cluster.yml")
    fs.writeFileSync(file, renderConfig(settings), { mode: 0o600 })
    const result = spawnSync(
      process.execPath,
      [BIN, "check", "--config", file, "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=192.0.2.7"],
      { encoding: "utf8" }
    )
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
    expect(result.stdout).toContain(`is valid: 1 server(s), 1 channel(s)`)
    expect(result.stdout).toContain(`would run ["fail2ban-client","set","sshd","banip","192.0.2.7"]`)
  })

  it("a setting f2bc does not know is passed through, so f2bc itself refuses it (exit 2)", () => {
    const dir = tempDir("f2bc-nix-config-")
    const file = path.join(dir, "fail2ban-cluster.yml")
    fs.writeFileSync(file, renderConfig({ ...settings, no_such_key: 1 }), { mode: 0o600 })
    const result = spawnSync(process.execPath, [BIN, "check", "--config", file], { encoding: "utf8" })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("no_such_key")
  })

  it("systemd's stop timeout is shutdown_timeout + 20 s, rounded up (30 s for the default 10 s)", () => {
    expect(evalJson(`${lib}.stopTimeoutSec { }`)).toBe(30)
    expect(evalJson(`${lib}.stopTimeoutSec { shutdown_timeout = null; }`)).toBe(30)
    expect(evalJson(`${lib}.stopTimeoutSec { shutdown_timeout = 2.5; }`)).toBe(23)
    expect(evalJson(`${lib}.stopTimeoutSec { shutdown_timeout = 100; }`)).toBe(120)
  })
})

const problems = (value: { settings: unknown; secretFiles?: unknown; useSettings?: boolean }) =>
  evalJson(
    `${lib}.problems { settings = ${nixValue(value.settings)}; secretFiles = ${nixValue(value.secretFiles ?? {})}; useSettings = ${
      value.useSettings ?? true
    }; }`
  ) as Array<string>

describe("nix/lib.nix finds what the module must refuse (its assertions)", () => {
  it("a complete config with secrets outside the store has no problem", () => {
    const signed = structuredClone(settings) as typeof settings & { servers: Array<{ channels: Array<Record<string, unknown>> }> }
    signed.servers[0]!.channels[0]!["secret_file"] = ["/run/agenix/f2bc-new", "/run/agenix/f2bc-old"]
    expect(
      problems({
        settings: { ...signed, log_file: "/var/log/f2bc/f2bc.log", control_socket: "/run/f2bc/control.sock", pid_file: "/run/f2bc/f2bc.pid" },
        secretFiles: { fail2ban: "/run/agenix/f2bc-new" }
      })
    ).toEqual([])
  })

  it("no servers", () => {
    expect(problems({ settings: {} })).toEqual([expect.stringMatching(/^services\.f2bc\.settings\.servers: list at least one server/)])
    expect(problems({ settings: { servers: [] } })).toHaveLength(1)
  })

  it("with configFile, the settings are not checked (they are not used)", () => {
    expect(problems({ settings: {}, useSettings: false })).toEqual([])
  })

  it("a pid_file, control_socket or log_file where the sandboxed unit cannot write", () => {
    const found = problems({
      settings: { ...settings, pid_file: "/var/run/f2bc.pid", control_socket: "/tmp/f2bc.sock", log_file: "/var/log/f2bc.log" }
    })
    expect(found).toEqual([
      expect.stringMatching(/^services\.f2bc\.settings\.pid_file: leave it unset/),
      expect.stringMatching(/^services\.f2bc\.settings\.control_socket: \/tmp\/f2bc\.sock is outside \/run\/f2bc\//),
      expect.stringMatching(/^services\.f2bc\.settings\.log_file: \/var\/log\/f2bc\.log is outside \/var\/log\/f2bc\//)
    ])
  })

  it("a secret_file in the Nix store, relative, or (in a list) not a string, with where it is", () => {
    const bad = structuredClone(settings) as typeof settings & { servers: Array<{ channels: Array<Record<string, unknown>> }> }
    bad.servers[0]!.channels[0]!["secret_file"] = "/nix/store/abc-f2bc.key"
    bad.servers.push({ host: "b", port: 1, channels: [{ name: "X", action: "x", secret_file: ["/etc/f2bc/ok.key", "keys/x.key", 7] }] } as never)
    expect(problems({ settings: bad })).toEqual([
      expect.stringMatching(/^services\.f2bc\.settings\.servers\[0\]\.channels\[0\]\.secret_file: \/nix\/store\/abc-f2bc\.key is in the Nix store/),
      expect.stringMatching(/^services\.f2bc\.settings\.servers\[1\]\.channels\[0\]\.secret_file\[1\]: keys\/x\.key must be an absolute path/),
      expect.stringMatching(/^services\.f2bc\.settings\.servers\[1\]\.channels\[0\]\.secret_file\[2\]: expected the path of a secret file as a string/)
    ])
  })

  it("a secret_file given as a Nix path literal (which would copy the secret into the store)", () => {
    const found = evalJson(
      `${lib}.problems { useSettings = true; secretFiles = { k = ./no-such.key; }; settings = { servers = [ { channels = [ { secret_file = ./no-such.key; } ]; } ]; }; }`
    )
    expect(found).toEqual([
      expect.stringMatching(/^services\.f2bc\.settings\.servers\[0\]\.channels\[0\]\.secret_file: \/.*\/no-such\.key is a Nix path/),
      expect.stringMatching(/^services\.f2bc\.secretFiles\.k: \/.*\/no-such\.key is a Nix path/)
    ])
  })

  it("secretFiles in the store or relative", () => {
    expect(problems({ settings, secretFiles: { a: "/nix/store/x-key", b: "key", c: "/run/secrets/f2bc" } })).toEqual([
      expect.stringMatching(/^services\.f2bc\.secretFiles\.a: .* is in the Nix store/),
      expect.stringMatching(/^services\.f2bc\.secretFiles\.b: key must be an absolute path/)
    ])
  })
})

type Lock = {
  packages: Record<string, { name?: string; version?: string; resolved?: string; integrity?: string; link?: boolean; inBundle?: boolean }>
}
const lockFile = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as Lock

describe("nix/lib.nix prepares package-lock.json for importNpmLock", () => {
  const resolved = evalJson(
    `builtins.mapAttrs (_: e: e.resolved or null) (${lib}.withRegistryResolved (builtins.fromJSON (builtins.readFile ./package-lock.json))).packages`
  ) as Record<string, string | null>

  it("every package npm fetches gets the registry tarball URL npm itself reports (checked with `npm view … dist.tarball`)", () => {
    expect(resolved["node_modules/effect"]).toBe(`https://registry.npmjs.org/effect/-/effect-${lockFile.packages["node_modules/effect"]!.version}.tgz`)
    expect(resolved["node_modules/@esbuild/linux-x64"]).toBe(
      `https://registry.npmjs.org/@esbuild/linux-x64/-/linux-x64-${lockFile.packages["node_modules/@esbuild/linux-x64"]!.version}.tgz`
    )
    expect(resolved["node_modules/@effect/cli"]).toBe(
      `https://registry.npmjs.org/@effect/cli/-/cli-${lockFile.packages["node_modules/@effect/cli"]!.version}.tgz`
    )
    for (const [lockPath, entry] of Object.entries(lockFile.packages)) {
      if (lockPath === "" || entry.link || entry.inBundle) continue
      const name = entry.name ?? lockPath.slice(lockPath.lastIndexOf("node_modules/") + "node_modules/".length)
      expect(resolved[lockPath], lockPath).toBe(entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`)
    }
  })

  it("leaves the root package alone", () => {
    expect(resolved[""]).toBeNull()
  })

  it("every package has an integrity hash, which pins each fetch (no entry Nix could not fetch)", () => {
    expect(evalJson(`${lib}.lockProblems (builtins.fromJSON (builtins.readFile ./package-lock.json))`)).toEqual([])
    expect(evalJson(`${lib}.lockProblems { packages = { "node_modules/a" = { version = "1.0.0"; }; }; }`)).toEqual(["node_modules/a"])
  })

  it("handles npm aliases, nested packages, links, bundled packages and URLs already present", () => {
    const lock = {
      packages: {
        "": { name: "f2bc", version: "0.1.0" },
        "node_modules/alias": { name: "@scope/real", version: "2.0.0", integrity: "sha512-x" },
        "node_modules/a/node_modules/@s/b": { version: "1.2.3", integrity: "sha512-y" },
        "node_modules/linked": { link: true, resolved: "packages/linked" },
        "node_modules/a/node_modules/bundled": { version: "1.0.0", inBundle: true },
        "node_modules/kept": { version: "1.0.0", resolved: "https://example.com/kept.tgz", integrity: "sha512-z" }
      }
    }
    expect(evalJson(`builtins.mapAttrs (_: e: e.resolved or null) (${lib}.withRegistryResolved ${nixValue(lock)}).packages`)).toEqual({
      "": null,
      "node_modules/alias": "https://registry.npmjs.org/@scope/real/-/real-2.0.0.tgz",
      "node_modules/a/node_modules/@s/b": "https://registry.npmjs.org/@s/b/-/b-1.2.3.tgz",
      "node_modules/linked": "packages/linked",
      "node_modules/a/node_modules/bundled": null,
      "node_modules/kept": "https://example.com/kept.tgz"
    })
  })
})

describe("nix/lib.nix's source filter keeps exactly what the build needs", () => {
  const entries = repositoryFiles()
  const kept = evalJson(
    `map (e: ${lib}.sourceFilter (/. + "${ROOT}") "${ROOT}/\${e.rel}" e.type) ${nixValue(entries)}`
  ) as Array<boolean>
  const keptDirectly = new Set(entries.filter((_, i) => kept[i]).map((e) => e.rel))
  // builtins.path does not descend into a directory the filter drops.
  const inSource = (rel: string): boolean => keptDirectly.has(rel) && (!rel.includes("/") || inSource(rel.slice(0, rel.lastIndexOf("/"))))
  const sourceFiles = entries.filter((e) => e.type === "regular" && inSource(e.rel)).map((e) => e.rel)

  it("keeps package.json, the lock, tsconfig.json, scripts/ and src/, and no docs, tests or nix files", () => {
    expect(sourceFiles).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "tsconfig.json", "scripts/build.mjs", "src/bin.ts"]))
    expect(sourceFiles.filter((f) => !/^(scripts|src)\//.test(f)).sort()).toEqual(["package-lock.json", "package.json", "tsconfig.json"])
  })

  it("`npm run build`'s script builds a working f2bc from those files alone", () => {
    const dir = tempDir("f2bc-nix-source-")
    for (const rel of sourceFiles) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
      fs.copyFileSync(path.join(ROOT, rel), path.join(dir, rel))
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"))
    const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: dir, encoding: "utf8" })
    expect(build.stderr).toBe("")
    expect(build.status).toBe(0)
    const version = spawnSync(process.execPath, [path.join(dir, "dist/f2bc.js"), "--version"], { encoding: "utf8" })
    expect(version.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version)
  })
})

// --- The module and the flake against stand-ins for nixpkgs ---------------------------------------------------
// Only the few nixpkgs functions they call, with nixpkgs' meaning, so that their own logic can be evaluated here
// (there is no nixpkgs on this machine). Derivations are attribute sets with an outPath.
const stubs = path.join(tempDir("f2bc-nix-stubs-"), "stubs.nix")
fs.writeFileSync(
  stubs,
  `rec {
  lib = {
    types = {
      package = "package"; str = "str"; path = "path"; bool = "bool";
      listOf = t: { listOf = t; }; attrsOf = t: { attrsOf = t; }; nullOr = t: { nullOr = t; };
      enum = values: { enum = values; }; submodule = m: { submodule = m; };
    };
    mkOption = attrs: attrs // { _option = true; };
    mkEnableOption = name: { _option = true; type = "bool"; default = false; description = "Whether to enable " + name + "."; };
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkDefault = content: { _type = "override"; priority = 1000; inherit content; };
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    literalMD = text: { _type = "literalMD"; inherit text; };
    getExe = p: p.outPath + "/bin/" + p.meta.mainProgram;
    optional = cond: x: if cond then [ x ] else [ ];
    optionalAttrs = cond: attrs: if cond then attrs else { };
    optionalString = cond: s: if cond then s else "";
    attrValues = builtins.attrValues;
    importJSON = file: builtins.fromJSON (builtins.readFile file);
    licenses.mit = "mit";
    platforms.linux = [ "x86_64-linux" "aarch64-linux" ];
  };
  drv = name: { outPath = "/nix/store/00000000000000000000000000000000-" + name; inherit name; meta.mainProgram = name; };
  pkgsFor = system: rec {
    inherit lib;
    stdenv = { buildPlatform.canExecute = _: true; hostPlatform.system = system; };
    callPackage = fn: overrides:
      let f = if builtins.isFunction fn then fn else import fn;
      in f (builtins.intersectAttrs (builtins.functionArgs f) (pkgsFor system) // overrides);
    buildNpmPackage = attrs: attrs // drv (attrs.pname + "-" + attrs.version) // { meta = attrs.meta; };
    importNpmLock = { __functor = _: args: { importNpmLockArgs = args; }; npmConfigHook = "importNpmLock.npmConfigHook"; };
    formats.json = { }: { type = "json value"; };
    writeText = name: text: drv name // { inherit text; };
    mkShell = attrs: attrs;
    nodejs_22 = drv "node" // { version = "22"; };
    makeWrapper = drv "makeWrapper";
    installShellFiles = drv "installShellFiles";
    nats-server = drv "nats-server";
    fail2ban = drv "fail2ban";
    python3 = drv "python3";
    nix = drv "nix";
  };
  nixpkgs = { legacyPackages = { x86_64-linux = pkgsFor "x86_64-linux"; aarch64-linux = pkgsFor "aarch64-linux"; }; };
}
`
)

type ServiceConfig = Record<string, string | number | boolean | Array<string | number>>
interface ModuleResult {
  readonly options: Array<string>
  readonly condition: boolean
  readonly assertions: Array<{ assertion: boolean; message: string }>
  readonly etc: { source: string; text: string }
  readonly systemPackages: Array<string>
  readonly tmpfiles: Array<string>
  readonly service: {
    description: string
    after: Array<string>
    wants: Array<string>
    wantedBy: Array<string>
    path: Array<string>
    reloadTriggers: Array<string>
    restartTriggers: Array<string>
    unitConfig: Record<string, unknown>
    serviceConfig: ServiceConfig
  }
}

const PACKAGE = "/nix/store/00000000000000000000000000000000-f2bc"
const CONFIG_FILE = "/nix/store/00000000000000000000000000000000-fail2ban-cluster.yml"

/** services.f2bc as the module system would hand it over (every option with its value), evaluated. */
const evalModule = (f2bc: Record<string, unknown>): ModuleResult => {
  const options = {
    enable: true,
    settings,
    configFile: null,
    secretFiles: {},
    onConfigChange: "reload",
    firewallActions: false,
    extraPackages: [],
    ...f2bc
  }
  return evalJson(`
    let
      s = import ${stubs};
      cfg = ${nixValue(options)} // { package = s.drv "f2bc"; extraPackages = map s.drv (${nixValue(options.extraPackages)}); };
      m = import ./nix/module.nix {
        config = { services.f2bc = cfg; services.fail2ban.package = s.drv "fail2ban"; };
        lib = s.lib;
        pkgs = s.pkgsFor "x86_64-linux";
      };
      c = m.config.content;
    in {
      options = builtins.attrNames m.options.services.f2bc;
      condition = m.config.condition;
      assertions = c.assertions;
      etc = { source = toString c.environment.etc."fail2ban-cluster.yml".source; text = c.environment.etc."fail2ban-cluster.yml".source.text or ""; };
      systemPackages = map toString c.environment.systemPackages;
      tmpfiles = c.systemd.tmpfiles.rules;
      service = c.systemd.services.f2bc // {
        path = map toString c.systemd.services.f2bc.path;
        reloadTriggers = map toString c.systemd.services.f2bc.reloadTriggers;
        restartTriggers = map toString c.systemd.services.f2bc.restartTriggers;
      };
    }`) as ModuleResult
}

const contribUnit = fs.readFileSync(path.join(ROOT, "contrib/systemd/f2bc.service"), "utf8")

/** NixOS's rendering of a serviceConfig value: booleans as yes/no (systemd reads true/false alike), lists as repeated lines. */
const asUnitValues = (value: string | number | boolean | Array<string | number>): Array<string> =>
  Array.isArray(value) ? value.map(String) : typeof value === "boolean" ? [value ? "yes" : "no"] : [String(value)]

describe("nix/module.nix (services.f2bc), evaluated with stand-ins for lib and pkgs", () => {
  it("declares the options the docs describe", () => {
    expect(evalModule({}).options.sort()).toEqual(
      ["configFile", "enable", "extraPackages", "firewallActions", "onConfigChange", "package", "secretFiles", "settings"].sort()
    )
  })

  it("does nothing unless enabled", () => {
    expect(evalModule({ enable: false }).condition).toBe(false)
    expect(evalModule({}).condition).toBe(true)
  })

  it("its systemd unit is contrib/systemd/f2bc.service, with the package's f2bc for /usr/local/bin/f2bc", () => {
    // The default shutdown_timeout, for which the contrib unit's TimeoutStopSec is written.
    const { service } = evalModule({ settings: { servers: settings.servers } })
    const fromModule = new Map(
      Object.entries(service.serviceConfig).map(([key, value]) => [key, asUnitValues(value).map((v) => v.replaceAll(`${PACKAGE}/bin/f2bc`, "/usr/local/bin/f2bc"))])
    )
    expect(fromModule).toEqual(unitSection(contribUnit, "Service"))
    const unit = unitSection(contribUnit, "Unit")
    expect(service.description).toBe(unit.get("Description")![0])
    expect(service.after).toEqual(unit.get("After")![0]!.split(" "))
    expect(service.wants).toEqual(unit.get("Wants")![0]!.split(" "))
    expect(service.wantedBy).toEqual(unitSection(contribUnit, "Install").get("WantedBy"))
  })

  it("puts fail2ban (for fail2ban-client) and the extra packages on the actions' PATH", () => {
    expect(evalModule({}).service.path).toEqual(["/nix/store/00000000000000000000000000000000-fail2ban"])
    expect(evalModule({ extraPackages: ["ipset"] }).service.path).toEqual([
      "/nix/store/00000000000000000000000000000000-fail2ban",
      "/nix/store/00000000000000000000000000000000-ipset"
    ])
  })

  it("links the rendered config at /etc/fail2ban-cluster.yml, the path the unit and every f2bc command read", () => {
    const result = evalModule({})
    expect(result.etc.source).toBe(CONFIG_FILE)
    expect(result.etc.text).toBe(renderConfig(settings))
    expect(result.service.serviceConfig["ExecStart"]).toBe(`${PACKAGE}/bin/f2bc daemon run --config /etc/fail2ban-cluster.yml --pid-file /run/f2bc/f2bc.pid`)
    expect(result.systemPackages).toEqual([PACKAGE])
  })

  it("configFile replaces the rendered settings", () => {
    const result = evalModule({ configFile: "/etc/f2bc/hand-written.yml", settings: {} })
    expect(result.etc.source).toBe("/etc/f2bc/hand-written.yml")
    expect(result.assertions).toEqual([])
  })

  it("a config change reloads the daemon by default, or restarts it", () => {
    expect(evalModule({}).service).toMatchObject({ reloadTriggers: [CONFIG_FILE], restartTriggers: [] })
    expect(evalModule({ onConfigChange: "restart" }).service).toMatchObject({ reloadTriggers: [], restartTriggers: [CONFIG_FILE] })
  })

  it("TimeoutStopSec follows shutdown_timeout", () => {
    expect(evalModule({ settings: { ...settings, shutdown_timeout: 60 } }).service.serviceConfig["TimeoutStopSec"]).toBe("80s")
  })

  it("turns each problem nix/lib.nix finds into a failing assertion", () => {
    expect(evalModule({}).assertions).toEqual([])
    const result = evalModule({ settings: { servers: [] }, secretFiles: { k: "/nix/store/x" } })
    expect(result.assertions).toEqual([
      { assertion: false, message: expect.stringMatching(/^services\.f2bc\.settings\.servers:/) },
      { assertion: false, message: expect.stringMatching(/^services\.f2bc\.secretFiles\.k:/) }
    ])
  })

  it("waits for the file systems holding the secret files", () => {
    expect(evalModule({}).service.unitConfig).toEqual({})
    expect(evalModule({ secretFiles: { a: "/run/agenix/a", b: "/var/lib/secrets/b" } }).service.unitConfig).toEqual({
      RequiresMountsFor: ["/run/agenix/a", "/var/lib/secrets/b"]
    })
  })

  it("firewallActions grants what iptables, ipset and nft need, and nothing else changes", () => {
    const plain = evalModule({})
    const firewall = evalModule({ firewallActions: true })
    expect(firewall.service.serviceConfig).toEqual({
      ...plain.service.serviceConfig,
      CapabilityBoundingSet: "CAP_NET_ADMIN CAP_NET_RAW",
      RestrictAddressFamilies: "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
      ReadWritePaths: ["-/run/xtables.lock"]
    })
    expect(plain.tmpfiles).toEqual([])
    expect(firewall.tmpfiles).toEqual(["f /run/xtables.lock 0600 root root -"])
  })
})

interface FlakeResult {
  readonly url: string
  readonly systems: Array<string>
  readonly packages: Record<string, { default: string; f2bc: string }>
  readonly package: {
    pname: string
    version: string
    mainProgram: string
    npmConfigHook: string
    npmRoot: string
    lockedEffect: string
    packageName: string
    nodejs: string
    npmBuildScript: string
    installPhase: string
    postInstall: string
    installCheckPhase: string
  }
  readonly apps: Record<string, { type: string; program: string }>
  readonly devShell: Array<string>
  readonly checks: Array<string>
  readonly moduleImports: Array<string>
  readonly modulePackage: { priority: number; content: string }
  readonly overlay: string
}

describe("flake.nix, evaluated with a stand-in nixpkgs", () => {
  const flake = evalJson(`
    let
      s = import ${stubs};
      flake = import ./flake.nix;
      out = flake.outputs { self = out; nixpkgs = s.nixpkgs; };
      p = out.packages.x86_64-linux.default;
      module = out.nixosModules.default { lib = s.lib; pkgs = s.pkgsFor "x86_64-linux"; };
    in {
      url = flake.inputs.nixpkgs.url;
      systems = builtins.attrNames out.packages;
      packages = builtins.mapAttrs (_: ps: builtins.mapAttrs (_: toString) ps) out.packages;
      package = {
        inherit (p) pname version npmConfigHook npmBuildScript installPhase postInstall installCheckPhase;
        mainProgram = p.meta.mainProgram;
        npmRoot = toString p.npmDeps.importNpmLockArgs.npmRoot;
        lockedEffect = p.npmDeps.importNpmLockArgs.packageLock.packages."node_modules/effect".resolved;
        packageName = p.npmDeps.importNpmLockArgs.package.name;
        nodejs = toString p.nodejs;
      };
      apps = out.apps;
      devShell = map (d: d.name) out.devShells.x86_64-linux.default.packages;
      checks = builtins.attrNames out.checks.aarch64-linux;
      moduleImports = map toString module.imports;
      modulePackage = { inherit (module.services.f2bc.package) priority; content = toString module.services.f2bc.package.content; };
      overlay = toString ((out.overlays.default (s.pkgsFor "x86_64-linux") { }).f2bc);
    }`) as FlakeResult
  const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string }
  const f2bcStorePath = `/nix/store/00000000000000000000000000000000-f2bc-${packageJson.version}`

  it("takes nixpkgs from NixOS/nixpkgs", () => {
    expect(flake.url).toMatch(/^github:NixOS\/nixpkgs\/nixos-/)
  })

  it("builds for x86_64-linux and aarch64-linux; packages.default is packages.f2bc", () => {
    expect(flake.systems).toEqual(["aarch64-linux", "x86_64-linux"])
    for (const system of flake.systems) expect(flake.packages[system]).toEqual({ default: f2bcStorePath, f2bc: f2bcStorePath })
  })

  it("the package is package.json's name and version, built by `npm run build` with importNpmLock's hook and node 22", () => {
    expect(flake.package).toMatchObject({
      pname: packageJson.name,
      version: packageJson.version,
      mainProgram: "f2bc",
      npmConfigHook: "importNpmLock.npmConfigHook",
      npmBuildScript: "build",
      npmRoot: ROOT,
      packageName: packageJson.name,
      nodejs: "/nix/store/00000000000000000000000000000000-node"
    })
    expect(flake.package.lockedEffect).toMatch(/^https:\/\/registry\.npmjs\.org\/effect\/-\/effect-/)
  })

  it("installs dist/ behind a node wrapper named f2bc, its completions, and checks the installed version", () => {
    expect(flake.package.installPhase).toContain("cp -r dist $out/lib/f2bc/")
    expect(flake.package.installPhase).toContain(
      "makeWrapper /nix/store/00000000000000000000000000000000-node/bin/node $out/bin/f2bc --add-flags $out/lib/f2bc/dist/f2bc.js"
    )
    for (const shell of ["bash", "zsh", "fish"]) expect(flake.package.postInstall).toContain(`--${shell} <($out/bin/f2bc --completions ${shell})`)
    expect(flake.package.installCheckPhase).toContain(`[ "$($out/bin/f2bc --version)" = "${packageJson.version}" ]`)
  })

  it("apps.default runs the package's f2bc", () => {
    expect(flake.apps["x86_64-linux"]).toEqual({ default: { type: "app", program: `${f2bcStorePath}/bin/f2bc` } })
  })

  it("the dev shell has node, nats-server, fail2ban, python3 and nix (what the tests drive)", () => {
    expect(flake.devShell).toEqual(["node", "nats-server", "fail2ban", "python3", "nix"])
  })

  it("checks build the package; the overlay adds pkgs.f2bc", () => {
    expect(flake.checks).toEqual(["package"])
    expect(flake.overlay).toBe(f2bcStorePath)
  })

  it("nixosModules.default imports nix/module.nix and defaults services.f2bc.package to the flake's package", () => {
    expect(flake.moduleImports).toEqual([path.join(ROOT, "nix/module.nix")])
    expect(flake.modulePackage).toEqual({ priority: 1000, content: f2bcStorePath })
  })
})

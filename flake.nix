# f2bc as a Nix flake: the package, `nix run`, a dev shell with the servers the
# tests drive, and the NixOS module (docs/packaging.md).
{
  description = "f2bc: share fail2ban bans across a fleet of servers";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems =
        f:
        builtins.listToAttrs (
          map (system: {
            name = system;
            value = f system nixpkgs.legacyPackages.${system};
          }) systems
        );
    in
    {
      packages = forAllSystems (
        system: pkgs: {
          f2bc = pkgs.callPackage ./nix/package.nix { };
          default = self.packages.${system}.f2bc;
        }
      );

      apps = forAllSystems (
        system: pkgs: {
          default = {
            type = "app";
            program = "${self.packages.${system}.default}/bin/f2bc";
          };
        }
      );

      devShells = forAllSystems (
        system: pkgs: {
          default = pkgs.mkShell {
            packages = [
              pkgs.nodejs_22 # the package's Node (see nix/package.nix)
              pkgs.nats-server # the NATS transport's end-to-end tests
              pkgs.fail2ban # fail2ban-client and fail2ban-server for the end-to-end tests
              pkgs.python3 # the reference fanout server of the interop tests
              pkgs.nix # nix-instantiate, for test/packaging
            ];
          };
        }
      );

      checks = forAllSystems (
        system: pkgs: {
          package = self.packages.${system}.default;
        }
      );

      overlays.default = final: prev: {
        f2bc = final.callPackage ./nix/package.nix { };
      };

      # The module, with this flake's package as services.f2bc.package (on a
      # system the flake does not build for, it is built from the host's nixpkgs).
      nixosModules.default =
        { lib, pkgs, ... }:
        {
          imports = [ ./nix/module.nix ];
          services.f2bc.package = lib.mkDefault (
            self.packages.${pkgs.stdenv.hostPlatform.system}.default or (pkgs.callPackage ./nix/package.nix { })
          );
        };
      nixosModules.f2bc = self.nixosModules.default;
    };
}

/**
 * The f2bc executable: provides the platform layers and runs the CLI.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { main } from "./cli/main.js"

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

const program: Effect.Effect<number> = main(process.argv).pipe(Effect.provide(platform))

NodeRuntime.runMain(program, {
  disablePrettyLogger: true,
  // The exit code is the program's result; a signal (interruption) exits 0.
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? (exit.value as number) : Cause.isInterruptedOnly(exit.cause) ? 0 : 1)
})

/**
 * The fanout transport (SPEC §1) as a Transport service layer.
 */
import * as Layer from "effect/Layer"
import { Transport } from "../transport.js"
import { publish } from "./publish.js"
import { defaultBackoff, superviseDeliveries, type BackoffOptions } from "./session.js"

export { reconnectSchedule, type BackoffOptions } from "./session.js"

export const layer = (backoff: BackoffOptions = defaultBackoff): Layer.Layer<Transport> =>
  Layer.succeed(Transport, Transport.of({ deliveries: (endpoint, observer) => superviseDeliveries(endpoint, backoff, observer), publish }))

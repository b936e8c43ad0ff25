/**
 * The NATS transport (core and JetStream) behind the Transport interface,
 * on the official client (@nats-io/transport-node, @nats-io/jetstream).
 */
export { deliveries } from "./session.js"
export { publish, publishAll } from "./publish.js"
export { channelOf, subjectOf } from "./connect.js"

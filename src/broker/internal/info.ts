/**
 * The broker's reply to `info`: a block of `name: value` lines, using the
 * fanout server's names where it has the same number, then the broker's own.
 */
import type { BrokerStats } from "../model.js"

const formatUptime = (seconds: number): string =>
  `${Math.floor(seconds / 86400)}d ${Math.floor(seconds / 3600) % 24}h ${Math.floor(seconds / 60) % 60}m ${seconds % 60}s`

export const formatInfo = (stats: BrokerStats, uptimeSeconds: number, maxClients: number): string =>
  [
    `uptime: ${formatUptime(uptimeSeconds)}`,
    `client-limit: ${maxClients}`,
    `limit rejected connections: ${stats.busyRejections}`,
    `max connections: ${stats.maxClientsSeen}`,
    `current connections: ${stats.clients}`,
    `current channels: ${stats.channels}`,
    `current subscriptions: ${stats.subscriptions}`,
    `user-requested subscriptions: ${Math.max(0, stats.subscriptions - stats.clients)}`,
    `total connections: ${stats.totalConnections}`,
    `total announcements: ${stats.announcements}`,
    `total messages: ${stats.deliveries}`,
    `total subscribes: ${stats.subscribes}`,
    `total unsubscribes: ${stats.unsubscribes}`,
    `total pings: ${stats.pings}`,
    `dropped announcements: ${stats.droppedAnnouncements}`,
    `ignored requests: ${stats.ignoredRequests}`,
    `overlong lines: ${stats.overlongLines}`,
    `slow client disconnects: ${stats.slowClientDisconnects}`
  ].join("\n") + "\n"
